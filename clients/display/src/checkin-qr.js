// The room's check-in QR code on the projector. A delegate scans it with a
// phone, or opens its link on the laptop at their seat, and is checked in
// (clients/web: #/checkin/ID/CODE). The code is the one the secretary's
// console shows: signed, valid half a minute and fetched anew as often as the
// server says (collab_server/domain/checkin.py), so a photo of the wall goes
// stale at once; where the room has networks, it checks in nobody elsewhere.
// Its look is checkin-qr.css (imported by main.js beside style.css).
//
// Where it shows, while check-in is open (the hour before the start, and
// during the session):
// - on the waiting screen, large, beside the next meeting of the room;
// - on a meeting's stage, at the foot of the side bar (never on the page),
//   until the chair or the secretary hides it (intent display.checkin_qr).

import { h, replaceContent } from '../../shared/dom.js'
import { checkinCode } from '../../shared/api.js'
import { t, onLangChange } from '../../shared/i18n/index.js'
import { qrSvg } from '../../shared/qr-svg.js'
import { checkInOpen, isEarly } from '../../shared/checkin.js'

const LIVE = new Set(['invited', 'in_session'])

/** On a meeting's stage: while check-in is open, unless the desk hid it. */
export function wantedOnStage(room, now = Date.now()) {
  return LIVE.has(room?.meeting?.status) && checkInOpen(room, now) && room.display?.checkin_qr !== false
}

/** On the waiting screen: the room's next meeting, once its window opened. */
export function wantedWhileWaiting(next, now = Date.now()) {
  return Boolean(next) && next.status === 'invited' && !isEarly(next.starts_at, now)
}

/**
 * @param {string|number} meetingId
 * @param {'large'|'corner'} size
 * @returns {{el: HTMLElement, on: boolean, show: (on: boolean) => HTMLElement|null, destroy: () => void}}
 */
export function createCheckinQr(meetingId, size) {
  const state = { on: false, code: null, timer: null }
  const el = h('figure', { class: `checkin-qr ${size}`, 'data-part': 'checkin-qr', hidden: true })

  function render() {
    el.hidden = !state.code
    if (!state.code) return
    const link = `${location.origin}${state.code.path}`
    el.dataset.link = link
    el.dataset.expires = String(state.code.expires_ms)
    replaceContent(
      el,
      qrSvg(link, t('display.checkinTitle')),
      h('figcaption', {}, h('strong', {}, t('display.checkinTitle')), h('span', {}, t('display.checkinHint'))),
    )
  }

  async function refresh() {
    clearTimeout(state.timer)
    if (!state.on) return
    let code = null
    try {
      code = await checkinCode(meetingId)
    } catch {
      // Check-in closed meanwhile, or the server away: no code beats a stale one.
    }
    if (!state.on) return
    state.code = code
    render()
    state.timer = setTimeout(refresh, (code?.refresh_s ?? 10) * 1000)
  }

  const offLang = onLangChange(render)
  return {
    el,
    get on() {
      return state.on
    },
    show(on) {
      if (on !== state.on) {
        state.on = on
        if (on) refresh()
        else {
          clearTimeout(state.timer)
          state.code = null
          render()
        }
      }
      return on ? el : null
    },
    destroy() {
      state.on = false
      clearTimeout(state.timer)
      offLang()
    },
  }
}
