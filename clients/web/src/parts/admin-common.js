// What the admin parts share: a notice line under each panel and running an
// action with the server's own message on refusal. The server words every
// refusal of the admin routes itself (which rule, which field), so that text
// is shown rather than a generic one for the error code.

import { h } from '../../../shared/dom.js'
import { t, getLang, errorMessage } from '../../../shared/i18n/index.js'
import { updateUser } from '../../../shared/api.js'
import { confirmDialog } from '../../../shared/confirm.js'

export function adminError(err) {
  const own = getLang() === 'vi' ? err?.serverMessage : err?.serverMessageEn || err?.serverMessage
  return own || errorMessage(err)
}

/** A small notice line: {kind: 'ok'|'error', text}. */
export const noticeLine = (n) =>
  h('div', { 'aria-live': 'polite', class: 'admin-notice' }, n ? h('p', { class: n.kind === 'error' ? 'error' : 'ok-text', role: n.kind === 'error' ? 'alert' : 'status' }, n.text) : null)

/**
 * `run(job, okText)` does the job, sets the notice and reloads the part's
 * data (which renders it); a lost session goes back to the login.
 */
export function actions(ctx, state, load) {
  return async function run(job, okText) {
    state.notice = null
    try {
      const result = await job()
      state.notice = okText ? { kind: 'ok', text: typeof okText === 'function' ? okText(result) : okText } : null
      await load()
      return result
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: adminError(err) }
      // What is shown follows the server again (a checkbox the server refused),
      // while what was typed into the forms stays for a correction.
      await load()
      return undefined
    }
  }
}

/** The one-time password callout: shown until the admin dismisses it. */
export function madePassword(made, onDismiss) {
  if (!made) return null
  return h(
    'div',
    { class: 'callout ok made-password', role: 'status' },
    h('p', {}, t('admin.made', { name: made.name })),
    h('p', {}, h('code', { 'data-key': 'made-password', class: 'big-code' }, made.password)),
    h('p', { class: 'meta small' }, t('admin.madeHint')),
    h('button', { type: 'button', 'data-key': 'made-dismiss', onclick: onDismiss }, t('admin.madeDone')),
  )
}

export const field = (id, labelText, control, hint) =>
  h('div', { class: 'field' }, h('label', { for: id }, labelText), control, hint ? h('span', { class: 'meta small' }, hint) : null)

/**
 * Locking an account (a person's or a projector's) ends its sessions at once:
 * asked first, then done with `run` (see `actions`).
 */
export async function confirmDeactivate(u, run, { display = false } = {}) {
  const yes = await confirmDialog({
    title: t('confirm.deactivateTitle', { name: u.full_name }),
    body: t(display ? 'confirm.deactivateDisplayBody' : 'confirm.deactivateBody', { name: u.full_name }),
    confirm: t('confirm.deactivateYes'),
  })
  if (yes) return run(() => updateUser(u.id, { is_active: false }), t('admin.users.deactivated', { name: u.full_name }))
  return undefined
}
