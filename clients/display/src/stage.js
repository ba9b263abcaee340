// The projector view of one meeting: title, the item under discussion, the
// next one, what is presented, a clock and the connection state.

import { h, replaceContent } from '../../shared/dom.js'
import { getMeeting } from '../../shared/api.js'
import { LiveConnection, Status, websocketUrl } from '../../shared/live.js'
import { readRoom, observeRoom, currentIndex } from '../../shared/room.js'
import { describePresenting } from '../../shared/presenting.js'
import { statusLabel, stopReason, badgeClass } from '../../shared/status.js'
import { t, onLangChange } from '../../shared/i18n/index.js'
import { formatTime, formatDate } from '../../shared/time.js'

const capitalize = (text) => text.charAt(0).toUpperCase() + text.slice(1)
const byPosition = (a, b) => (a.position ?? 0) - (b.position ?? 0)

/**
 * @param {HTMLElement} root
 * @param {string} id meeting id
 * @param {{onStopped: (detail: object) => void}} hooks called once the
 *   server refused the socket for good (44xx other than 4429)
 */
export function mountStage(root, id, { onStopped }) {
  const conn = new LiveConnection(websocketUrl(`meeting/${encodeURIComponent(id)}/room`), {
    readOnly: true,
    awareness: { client: 'display' },
  })
  const state = { room: readRoom(conn.doc), info: null }
  let alive = true

  const clock = h('div', { class: 'clock' })
  const badge = h('p', { class: 'badge', role: 'status' })
  const header = h('header', { class: 'stage-head' })
  const body = h('div', { class: 'stage-body' })
  const footer = h('footer', { class: 'stage-foot' })
  root.replaceChildren(
    header,
    h('div', { class: 'stage-side' }, clock, badge),
    body,
    footer,
  )

  const field = (key) => state.room.meeting[key] ?? state.info?.[key]
  const agenda = () =>
    state.room.agenda.length ? state.room.agenda : [...(state.info?.agenda ?? [])].sort(byPosition)

  function itemLine(item, index, className) {
    const meta = [
      item.presenter ? t('meeting.presenter', { name: item.presenter }) : null,
      item.duration_min ? t('meeting.duration', { minutes: Math.round(item.duration_min) }) : null,
    ].filter(Boolean)
    return [
      h('p', { class: className }, h('span', { class: 'pos' }, `${index + 1}. `), item.title),
      meta.length ? h('p', { class: `${className}-meta` }, meta.join(' · ')) : null,
    ]
  }

  function renderClock() {
    clock.replaceChildren(
      h('span', { class: 'clock-time' }, formatTime(Date.now())),
      h('span', { class: 'clock-date' }, capitalize(formatDate(Date.now()))),
    )
  }

  function renderBadge() {
    const text = statusLabel(conn.status)
    if (badge.textContent !== text) badge.textContent = text
    badge.className = badgeClass(conn.status)
  }

  function render() {
    if (!alive) return
    const title = field('title') || ''
    document.title = title || t('app.name')
    replaceContent(
      header,
      h('p', { class: 'where' }, [field('body'), field('room')].filter(Boolean).join(' · ')),
      h('h1', { class: 'title' }, title),
    )

    const items = agenda()
    const index = currentIndex({ agenda: items, cursor: state.room.cursor })
    const current = items[index]
    const next = index < 0 ? items[0] : items[index + 1]
    const nextIndex = index < 0 ? 0 : index + 1
    replaceContent(
      body,
      current
        ? [h('p', { class: 'label' }, t('display.current')), itemLine(current, index, 'current')]
        : h('p', { class: 'current waiting' }, t('display.notStarted')),
      next
        ? h(
            'div',
            { class: 'next' },
            h('p', { class: 'label' }, t('display.next')),
            itemLine(next, nextIndex, 'next-item'),
          )
        : current
          ? h('div', { class: 'next' }, h('p', { class: 'label' }, t('display.lastItem')))
          : null,
    )

    const shown = describePresenting(state.room.presenting, state.info?.documents ?? [])
    replaceContent(
      footer,
      shown
        ? [
            h('span', { class: 'label' }, t('display.presenting')),
            h('span', { class: 'doc' }, shown.title),
            h('span', { class: 'page' }, shown.page),
          ]
        : null,
    )
    renderBadge()
    renderClock()
  }

  async function loadInfo() {
    try {
      state.info = (await getMeeting(id)).meeting ?? null
      render()
    } catch (err) {
      // Titles of documents are a nicety; the room document has the rest.
      console.warn('meeting details unavailable', err)
    }
  }

  const offStatus = conn.on('status', (event) => {
    renderBadge()
    if (event.status === Status.STOPPED) {
      replaceContent(
        body,
        h('p', { class: 'current waiting' }, stopReason(event)),
        h('p', { class: 'next-item-meta' }, t('display.willRetry')),
      )
      onStopped(event)
    }
  })
  const offRoom = observeRoom(conn.doc, (room) => {
    state.room = room
    render()
  })
  const offLang = onLangChange(render)
  const ticker = setInterval(renderClock, 1000)

  render()
  loadInfo()

  return {
    destroy() {
      alive = false
      clearInterval(ticker)
      offStatus()
      offRoom()
      offLang()
      conn.destroy()
    },
  }
}

