// The minutes (biên bản) after the meeting: the live text written together
// by the secretary and the chair (`meeting/{id}/minutes`, a Y.Text "text"),
// seeded from the draft the server makes from the record; approval into a
// frozen version; the approved versions with their PDFs.

import { h, replaceContent } from '../../../shared/dom.js'
import { LiveConnection, Status, websocketUrl } from '../../../shared/live.js'
import { bindTextarea, seedText } from '../../../shared/text-sync.js'
import { minutesDraft, listMinutes, approveMinutes, minutesPdfUrl, signMinutes } from '../../../shared/api.js'
import { statusLabel, stopReason, badgeClass } from '../../../shared/status.js'
import { CloseCode } from '../../../shared/messages.js'
import { t } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'
import { serverError } from './prep-documents.js'
import { signatureCell } from './digital-sign.js'

export const TEXT_ROOT = 'text'
const EDIT = 'minutes-editor' // origin of this page's own typing
const SEED = 'minutes-seed' // the draft put in: not typed here, so the textarea must show it

/**
 * The live editor. `writable`: the secretary or the chair of an ended
 * meeting; anyone else allowed in (body admins, an archived meeting) reads.
 * `onStopped(detail)` when the server closes the socket for good (4403 once
 * the meeting is archived).
 */
export function createMinutesEditor({ meetingId, writable, canApprove, unauthorized, onStopped, onApproved }) {
  const conn = new LiveConnection(websocketUrl(`meeting/${encodeURIComponent(meetingId)}/minutes`), {
    readOnly: !writable,
    awareness: { client: 'web', editing: writable },
  })
  const ytext = conn.doc.getText(TEXT_ROOT)
  const state = { seeding: false, seeded: false, notice: null, confirm: false, busy: false, ever: false }
  let alive = true

  const area = h('textarea', {
    id: 'minutes-text',
    class: 'minutes-text',
    'data-key': 'minutes-text',
    rows: 24,
    lang: 'vi',
    spellcheck: 'false',
    readonly: true,
    'aria-describedby': 'minutes-hint',
    'aria-busy': 'true',
  })
  const binding = bindTextarea(ytext, area, { origin: EDIT })
  const number = h('input', { id: 'minutes-number', 'data-key': 'minutes-number', maxlength: 60, autocomplete: 'off', placeholder: '15/BB-…', 'aria-describedby': 'minutes-number-hint' })
  const badge = h('span', { class: 'badge', role: 'status' })
  const others = h('span', { class: 'meta co-editors', 'aria-live': 'polite' })
  const alert = h('div', { class: 'alert-slot' })
  const actions = h('div', { class: 'approve-slot' })
  const header = h('div', { class: 'minutes-head' })
  const label = h('label', { class: 'visually-hidden', for: 'minutes-text' })
  const el = h(
    'section',
    { class: 'panel minutes-panel', 'aria-labelledby': 'minutes-title' },
    header,
    h('div', { class: 'status-line' }, badge, others),
    label,
    area,
    alert,
    actions,
  )

  function renderHeader() {
    replaceContent(
      header,
      h('h2', { id: 'minutes-title' }, t('minutes.title')),
      h('p', { id: 'minutes-hint', class: 'meta' }, writable ? t('minutes.hint') : t('minutes.readOnly')),
    )
    label.textContent = t('minutes.textLabel')
  }

  function renderStatus() {
    badge.textContent = statusLabel(conn.status)
    badge.className = badgeClass(conn.status)
    const names = []
    for (const [client, s] of conn.awareness.getStates()) {
      if (client === conn.awareness.clientID || !s?.user?.name) continue
      if (!names.includes(s.user.name)) names.push(s.user.name)
    }
    others.textContent = names.length ? t('minutes.together', { names: names.join(', ') }) : ''
    el.dataset.others = String(names.length)
  }

  function renderAlert() {
    const lines = []
    if (conn.status === Status.STOPPED) {
      lines.push(h('p', { class: 'error', role: 'alert' }, stopReason(conn.detail)))
      lines.push(h('button', { type: 'button', 'data-key': 'minutes-reconnect', onclick: () => conn.reconnect() }, t('live.retry')))
    }
    // A notice known by its key is worded again in the language of the moment.
    const noticeText = state.notice?.key ? t(state.notice.key) : state.notice?.text
    if (state.notice) lines.push(h('p', { class: state.notice.kind === 'error' ? 'error' : 'ok-text', role: state.notice.kind === 'error' ? 'alert' : 'status', 'data-notice': state.notice.code ?? '' }, noticeText))
    replaceContent(alert, lines)
  }

  function renderActions() {
    if (!canApprove) {
      replaceContent(actions)
      return
    }
    const ready = conn.synced && ytext.length > 0 && !state.busy
    replaceContent(
      actions,
      h(
        'div',
        { class: 'approve' },
        h('div', { class: 'field' }, h('label', { for: 'minutes-number' }, t('minutes.number')), number, h('p', { id: 'minutes-number-hint', class: 'meta small' }, t('minutes.numberHint'))),
        state.confirm
          ? h(
              'div',
              { class: 'confirm', role: 'alertdialog', 'aria-labelledby': 'approve-q', 'aria-describedby': 'approve-d' },
              h('p', { id: 'approve-q' }, h('strong', {}, t('minutes.approveConfirm'))),
              h('p', { id: 'approve-d' }, t('minutes.approveWhat')),
              h(
                'div',
                { class: 'row' },
                h('button', { type: 'button', class: 'primary', 'data-key': 'approve-yes', onclick: approve }, t('minutes.approve')),
                h('button', { type: 'button', 'data-key': 'approve-no', onclick: () => closeConfirm() }, t('minutes.approveNo')),
              ),
            )
          : h('button', { type: 'button', class: 'primary', 'data-key': 'minutes-approve', disabled: !ready, onclick: openConfirm }, state.busy ? t('meeting.sending') : t('minutes.approve')),
      ),
    )
  }

  function openConfirm() {
    state.confirm = true
    state.notice = null
    renderAlert()
    renderActions()
    actions.querySelector('[data-key="approve-no"]')?.focus()
  }

  function closeConfirm() {
    state.confirm = false
    renderActions()
    actions.querySelector('[data-key="minutes-approve"]')?.focus()
  }

  async function approve() {
    state.confirm = false
    state.busy = true
    renderActions()
    // What is approved is the text on this screen, not whatever reached the server last.
    const body = { text: ytext.toString() }
    if (number.value.trim()) body.number = number.value.trim()
    try {
      const result = await approveMinutes(meetingId, body)
      const version = result.minutes?.version ?? '?'
      state.notice = result.unchanged
        ? { kind: 'ok', code: 'unchanged', text: t('minutes.unchanged', { version }) }
        : { kind: 'ok', code: 'approved', text: t('minutes.approved', { version }) }
      onApproved?.(result.minutes)
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.notice = { kind: 'error', text: serverError(err) }
    }
    state.busy = false
    if (!alive) return
    renderAlert()
    renderActions()
    actions.querySelector('[data-key="minutes-approve"]')?.focus()
  }

  /** The empty text, first time: from the draft the server writes from the record. */
  async function seed() {
    if (!writable || state.seeding || state.seeded || ytext.length > 0) return
    state.seeding = true
    state.notice = { kind: 'ok', key: 'minutes.seeding' }
    renderAlert()
    try {
      const { text } = await minutesDraft(meetingId)
      if (!alive) return
      if (seedText(conn.doc, TEXT_ROOT, String(text ?? '').replace(/\r\n?/g, '\n'), SEED)) {
        state.notice = { kind: 'ok', code: 'seeded', key: 'minutes.seeded' }
      } else {
        state.notice = null
      }
      state.seeded = true
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.notice = { kind: 'error', text: serverError(err) }
    }
    state.seeding = false
    if (!alive) return
    renderAlert()
    renderActions()
  }

  const offStatus = conn.on('status', ({ status, code }) => {
    if (status === Status.STOPPED && code === CloseCode.UNAUTHORIZED) return unauthorized()
    area.readOnly = !writable || status === Status.STOPPED || !state.ever
    renderStatus()
    renderAlert()
    renderActions()
    if (status === Status.STOPPED) onStopped?.(conn.detail)
  })
  const offSynced = conn.on('synced', () => {
    state.ever = true
    area.readOnly = !writable
    area.removeAttribute('aria-busy')
    el.dataset.synced = 'true'
    renderActions()
    seed()
  })
  const onAwareness = () => renderStatus()
  conn.awareness.on('change', onAwareness)
  const onText = () => {
    el.dataset.chars = String(ytext.length)
    if (canApprove && !state.confirm) {
      const button = actions.querySelector('[data-key="minutes-approve"]')
      if (button) button.disabled = !(conn.synced && ytext.length > 0 && !state.busy)
    }
  }
  ytext.observe(onText)

  function render() {
    renderHeader()
    renderStatus()
    renderAlert()
    renderActions()
  }

  render()
  return {
    el,
    render,
    text: () => ytext.toString(),
    destroy() {
      alive = false
      offStatus()
      offSynced()
      ytext.unobserve(onText)
      conn.awareness.off('change', onAwareness)
      binding.destroy()
      conn.destroy()
    },
  }
}

/** The approved versions, each with its PDF. Everyone in the meeting may read them. */
export function createVersions({ meetingId, unauthorized }) {
  const state = { versions: null, error: null, signingKey: false }
  const el = h('section', { class: 'panel versions-panel', 'aria-labelledby': 'versions-title' })

  async function load() {
    try {
      const data = await listMinutes(meetingId)
      state.versions = data.versions ?? []
      state.signingKey = Boolean(data.signing_key)
      state.error = null
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.error = serverError(err)
    }
    render()
  }

  function render() {
    const versions = [...(state.versions ?? [])].sort((a, b) => b.version - a.version)
    replaceContent(
      el,
      h('h2', { id: 'versions-title' }, t('minutes.versions')),
      state.error ? h('p', { class: 'error', role: 'alert' }, state.error) : null,
      state.versions === null && !state.error ? h('p', { role: 'status' }, t('app.loading')) : null,
      state.versions?.length === 0 ? h('p', { class: 'meta' }, t('minutes.noVersions')) : null,
      versions.length
        ? h(
            'table',
            { class: 'people versions' },
            h('caption', { class: 'visually-hidden' }, t('minutes.versions')),
            h('thead', {}, h('tr', {}, ['minutes.version', 'minutes.numberShort', 'minutes.by', 'minutes.at', 'minutes.pdf', 'dsign.column'].map((k) => h('th', { scope: 'col' }, t(k))))),
            h(
              'tbody',
              {},
              versions.map((v) =>
                h(
                  'tr',
                  { 'data-version': v.version },
                  h('th', { scope: 'row' }, t('minutes.versionN', { version: v.version })),
                  h('td', {}, v.number || '—'),
                  h('td', {}, v.by?.full_name ?? ''),
                  h('td', {}, formatDateTime(v.at)),
                  h(
                    'td',
                    {},
                    h('a', { href: v.pdf || minutesPdfUrl(meetingId, v.version), download: '', 'data-key': `minutes-pdf-${v.version}` }, t('minutes.download', { version: v.version })),
                  ),
                  h(
                    'td',
                    {},
                    signatureCell(v, { signingKey: state.signingKey, sign: () => signMinutes(meetingId, v.version), done: load, key: `minutes-${v.version}` }),
                  ),
                ),
              ),
            ),
          )
        : null,
      versions.length ? h('p', { class: 'meta small' }, t('minutes.frozen')) : null,
    )
  }

  render()
  load()
  return { el, reload: load, render }
}
