// The projector when nothing is in session in its room: a calm screen with
// the room's name, the clock and the next meeting planned there, and from an
// hour before it the QR code to check in to it (checkin-qr.js). Nothing
// internal: only what the room's door sign would say.

import { h, replaceContent } from '../../shared/dom.js'
import { t, onLangChange } from '../../shared/i18n/index.js'
import { formatTime, formatDate, formatDateTime } from '../../shared/time.js'
import { createCheckinQr, wantedWhileWaiting } from './checkin-qr.js'

const capitalize = (text) => text.charAt(0).toUpperCase() + text.slice(1)

/**
 * @param {HTMLElement} root
 * @param {{room: {name: string}, next: object|null}} answer GET /api/display/now
 */
export function mountWaiting(root, answer) {
  let current = answer
  const clock = h('div', { class: 'waiting-clock' })
  const body = h('div', { class: 'waiting-body' })
  const screen = h('div', { class: 'waiting', 'data-screen': 'waiting' }, clock, body)
  root.replaceChildren(screen)
  // The next meeting's check-in QR code, once its check-in window opened.
  const qr = { id: null, part: null }

  function renderQr(next) {
    const wanted = wantedWhileWaiting(next)
    if (qr.part && (!wanted || qr.id !== next.id)) {
      qr.part.destroy()
      qr.part.el.remove()
      qr.part = qr.id = null
    }
    if (wanted && !qr.part) {
      qr.part = createCheckinQr(next.id, 'large')
      qr.id = next.id
      screen.append(qr.part.show(true))
    }
    screen.classList.toggle('with-qr', wanted)
  }

  function renderClock() {
    replaceContent(
      clock,
      h('p', { class: 'waiting-time' }, formatTime(Date.now())),
      h('p', { class: 'waiting-date' }, capitalize(formatDate(Date.now()))),
    )
  }

  function render() {
    const next = current?.next
    document.title = current?.room?.name || t('app.name')
    replaceContent(
      body,
      h('h1', { class: 'waiting-room' }, current?.room?.name ?? ''),
      h('p', { class: 'waiting-note' }, t('display.waitingTitle')),
      next
        ? h(
            'div',
            { class: 'waiting-next' },
            h('p', { class: 'label' }, t('display.nextMeeting')),
            h('p', { class: 'waiting-next-title' }, next.title),
            h('p', { class: 'waiting-next-when' }, t('display.nextAt', { time: formatDateTime(next.starts_at) })),
          )
        : h('p', { class: 'waiting-next-none' }, t('display.noNext')),
    )
    renderQr(next)
    renderClock()
  }

  render()
  const ticker = setInterval(renderClock, 1000)
  const offLang = onLangChange(render)
  return {
    update(next) {
      current = next
      render()
    },
    destroy() {
      clearInterval(ticker)
      qr.part?.destroy()
      offLang()
    },
  }
}
