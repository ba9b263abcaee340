// The room's check-in QR code on the secretary's (or chair's) console: a
// short-lived signed link (collab_server/domain/checkin.py) that a delegate
// scans with a phone or opens on the laptop at their seat. It checks in
// whoever is logged in there, and is replaced every few seconds (the server
// says how often). The projector shows the same code (clients/display/src/
// checkin-qr.js); `projectorToggle` lets the desk hide it there.

import { h, replaceContent } from '../../../shared/dom.js'
import { checkinCode } from '../../../shared/api.js'
import { t, errorMessage, onLangChange } from '../../../shared/i18n/index.js'
import { formatTime } from '../../../shared/time.js'
import { qrSvg } from '../../../shared/qr-svg.js'
import { checkInOpen } from '../../../shared/checkin.js'

/**
 * One person's code (for the laptop at their seat), in a dialog: it checks in
 * that person only, whoever else opens it is refused; handing it out is audited.
 */
export async function showPersonalCode(meetingId, person) {
  let code
  try {
    code = await checkinCode(meetingId, person.id)
  } catch (err) {
    return errorMessage(err)
  }
  const link = `${location.origin}${code.path}`
  const close = h('button', { type: 'button', 'data-key': 'personal-code-close', onclick: () => dialog.close() }, t('checkin.close'))
  const dialog = h(
    'dialog',
    { class: 'confirm-dialog checkin-qr personal', 'data-key': 'personal-code', 'aria-labelledby': 'personal-code-title' },
    h('h2', { id: 'personal-code-title' }, t('checkin.personalTitle', { name: person.name })),
    h(
      'figure',
      { class: 'qr' },
      qrSvg(link, t('checkin.personalTitle', { name: person.name })),
      h(
        'figcaption',
        {},
        h('p', { class: 'meta' }, t('checkin.personalHint', { name: person.name })),
        h('p', { class: 'meta' }, t('checkin.expires', { time: formatTime(code.expires_ms) })),
        h('p', { class: 'small' }, h('a', { href: link, 'data-key': 'personal-code-link', target: '_blank', rel: 'noopener' }, t('checkin.link'))),
      ),
    ),
    h('div', { class: 'row end' }, close),
  )
  dialog.addEventListener('close', () => dialog.remove())
  document.body.append(dialog)
  dialog.showModal()
  close.focus()
  return ''
}

/**
 * The desk's switch for the QR code on the projector (intent
 * `display.checkin_qr`): shown while check-in is open, unless hidden.
 */
export function projectorToggle(room, act) {
  if (!checkInOpen(room)) return null
  const shown = room.display?.checkin_qr !== false
  return h(
    'div',
    { class: 'row' },
    h('span', { class: 'meta grow' }, t(shown ? 'checkin.onProjector' : 'checkin.offProjector')),
    h('button', { type: 'button', 'data-key': 'checkin-projector', 'aria-pressed': String(shown), onclick: () => act('display.checkin_qr', { shown: !shown }) }, t(shown ? 'checkin.projectorHide' : 'checkin.projectorShow')),
  )
}

export function createCheckinQr({ meetingId }) {
  const state = { shown: false, code: null, error: '', timer: null }
  const el = h('div', { class: 'checkin-qr' })

  async function refresh() {
    clearTimeout(state.timer)
    if (!state.shown) return
    try {
      state.code = await checkinCode(meetingId)
      state.error = ''
    } catch (err) {
      state.code = null
      state.error = errorMessage(err)
    }
    render()
    if (state.shown) state.timer = setTimeout(refresh, (state.code?.refresh_s ?? 10) * 1000)
  }

  function toggle() {
    state.shown = !state.shown
    if (state.shown) refresh()
    else {
      clearTimeout(state.timer)
      render()
    }
  }

  function render() {
    const link = state.code ? `${location.origin}${state.code.path}` : ''
    replaceContent(
      el,
      h('button', { type: 'button', 'data-key': 'checkin-qr-toggle', 'aria-expanded': String(state.shown), onclick: toggle }, state.shown ? t('checkin.hide') : t('checkin.show')),
      state.shown && state.code
        ? h(
            'figure',
            { class: 'qr', 'data-expires': String(state.code.expires_ms) },
            qrSvg(link, t('checkin.qrLabel')),
            h(
              'figcaption',
              {},
              h('strong', {}, t('checkin.title')),
              h('p', { class: 'meta' }, t('checkin.hint')),
              h('p', { class: 'meta' }, t('checkin.expires', { time: formatTime(state.code.expires_ms) })),
              h('p', { class: 'small' }, h('a', { href: link, 'data-key': 'checkin-link', target: '_blank', rel: 'noopener' }, t('checkin.link'))),
            ),
          )
        : null,
      state.error ? h('p', { class: 'error' }, state.error) : null,
    )
  }

  render()
  const offLang = onLangChange(render)
  return {
    el,
    destroy() {
      state.shown = false
      clearTimeout(state.timer)
      offLang()
    },
  }
}
