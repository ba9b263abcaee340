// The room's check-in QR code on the secretary's (or chair's) console: a
// short-lived signed link (collab_server/domain/checkin.py) that a delegate
// scans with a phone or opens on the laptop at their seat. It checks in
// whoever is logged in there, and is replaced every minute.

import qrcode from 'qrcode-generator'
import { h, replaceContent } from '../../../shared/dom.js'
import { checkinCode } from '../../../shared/api.js'
import { t, errorMessage } from '../../../shared/i18n/index.js'
import { formatTime } from '../../../shared/time.js'

const SVG = 'http://www.w3.org/2000/svg'

/** The QR code of `text` as SVG elements (no markup strings: the CSP allows none). */
export function qrSvg(text, label) {
  const qr = qrcode(0, 'M')
  qr.addData(text)
  qr.make()
  const n = qr.getModuleCount()
  const quiet = 4
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', `0 0 ${n + 2 * quiet} ${n + 2 * quiet}`)
  svg.setAttribute('role', 'img')
  svg.setAttribute('aria-label', label)
  svg.setAttribute('shape-rendering', 'crispEdges')
  const back = document.createElementNS(SVG, 'rect')
  back.setAttribute('width', '100%')
  back.setAttribute('height', '100%')
  back.setAttribute('fill', '#fff')
  svg.append(back)
  let d = ''
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) if (qr.isDark(row, col)) d += `M${col + quiet},${row + quiet}h1v1h-1z`
  }
  const path = document.createElementNS(SVG, 'path')
  path.setAttribute('d', d)
  path.setAttribute('fill', '#000')
  svg.append(path)
  return svg
}

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
    if (state.shown) state.timer = setTimeout(refresh, (state.code?.refresh_s ?? 60) * 1000)
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
  return {
    el,
    destroy() {
      state.shown = false
      clearTimeout(state.timer)
    },
  }
}
