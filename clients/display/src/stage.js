// The projector view of one meeting, readable from the back of the room:
// the item under discussion, the presented page with the presenter's ink
// and pointer, who speaks and for how long, who is next, quorum, votes and
// their results, the chair's message and countdown, a clock, and a clear
// sign when the screen is not live. A presented page takes the whole height
// beside a narrow bar that holds everything else, so nothing lies on the
// page. Once the session is closed, only "Phiên họp đã kết thúc" and the
// title remain: nothing internal stays on the wall.

import { h, replaceContent } from '../../shared/dom.js'
import { getMeeting } from '../../shared/api.js'
import { LiveConnection, Status, websocketUrl } from '../../shared/live.js'
import { readRoom, observeRoom, currentIndex, sessionState, openPoll, lastClosedPoll } from '../../shared/room.js'
import { describePresenting } from '../../shared/presenting.js'
import { statusLabel, stopReason, badgeClass } from '../../shared/status.js'
import { countdown, formatSeconds } from '../../shared/timer.js'
import { results, outcome, formatShare, resultBasis } from '../../shared/polls.js'
import { t, getLang, onLangChange } from '../../shared/i18n/index.js'
import { formatTime, formatDate } from '../../shared/time.js'
import { createPageView } from './page-view.js'
import { createCheckinQr, wantedOnStage } from './checkin-qr.js'

// A result stays on the projector this long after the close, unless the
// chair presents or moves on sooner; an ended countdown shows 00:00 a minute.
const RESULT_MS = 5 * 60 * 1000
const ENDED_COUNTDOWN_MS = 60 * 1000

const capitalize = (text) => text.charAt(0).toUpperCase() + text.slice(1)
// "Nội dung đang thảo luận" only while the session runs: before the opening
// the item the cursor rests on is what comes first, after the close nothing is.
const IN_SESSION = new Set(['open', 'suspended'])
const byPosition = (a, b) => (a.position ?? 0) - (b.position ?? 0)

/**
 * @param {HTMLElement} root
 * @param {string} id meeting id
 * @param {object} hooks
 * @param {(detail: object) => void} hooks.onStopped called once the server
 *   refused the socket for good (44xx other than 4429)
 * @param {(state: string) => void} [hooks.onSession] the session's state
 *   (not_started, open, suspended, closed) after each change
 */
export function mountStage(root, id, { onStopped, onSession = () => {} }) {
  const conn = new LiveConnection(websocketUrl(`meeting/${encodeURIComponent(id)}/room`, location, { device: 'display' }), {
    readOnly: true,
    awareness: { client: 'display' },
  })
  const page = createPageView(id)
  const qr = createCheckinQr(id, 'corner')
  const state = { room: readRoom(conn.doc), info: null, offlineSince: null, everLive: false, seenClosed: new Map(), loadedAt: Date.now() }
  let alive = true
  let resultShown = null // id of the poll whose result is on screen

  const clock = h('div', { class: 'clock' })
  const badge = h('p', { class: 'badge', role: 'status' })
  const header = h('header', { class: 'stage-head' })
  const main = h('div', { class: 'stage-main' })
  const agendaView = h('div', { class: 'agenda-view' })
  const panel = h('aside', { class: 'stage-panel' })
  const timers = h('div', { class: 'timers' })
  const banner = h('div', { class: 'message-banner', role: 'status', hidden: true })
  const offline = h('div', { class: 'offline-banner', role: 'alert', hidden: true })
  const result = h('div', { class: 'result-overlay', hidden: true })
  const closedView = h('div', { class: 'closed-screen', 'data-screen': 'closed', hidden: true })
  main.append(page.el, agendaView, result, closedView)
  root.replaceChildren(header, h('div', { class: 'stage-side' }, clock, badge), main, panel, banner, offline)

  const field = (key) => state.room.meeting[key] ?? state.info?.[key]
  const agenda = () => (state.room.agenda.length ? state.room.agenda : [...(state.info?.agenda ?? [])].sort(byPosition))
  const documents = () => state.info?.documents ?? []

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

  function renderLive() {
    const text = statusLabel(conn.status)
    if (badge.textContent !== text) badge.textContent = text
    badge.className = badgeClass(conn.status)
    const down = state.everLive && conn.status !== Status.LIVE
    root.classList.toggle('stale', down)
    offline.hidden = !down
    if (down) {
      replaceContent(
        offline,
        h('p', { class: 'offline-title' }, conn.status === Status.STOPPED ? stopReason(conn.detail) : t('display.offline')),
        h('p', { class: 'offline-since' }, t('display.offlineSince', { time: formatTime(state.offlineSince ?? Date.now()) })),
      )
    }
  }

  /** Which closed poll's result to show: the newest, until something newer happens. */
  function shownResult() {
    const room = state.room
    if (openPoll(room)) return null
    const poll = lastClosedPoll(room)
    if (!poll) return null
    if (!state.seenClosed.has(poll.id)) state.seenClosed.set(poll.id, Date.now())
    const since = Number(poll.closed_at ?? poll.closed ?? state.seenClosed.get(poll.id)) || state.loadedAt
    const presentedSince = Number(room.presenting?.since) || 0
    const movedSince = Number(room.cursor?.since) || 0
    if (presentedSince > since || movedSince > since || Date.now() - since > RESULT_MS) return null
    return poll
  }

  function renderResult(poll) {
    resultShown = poll?.id ?? null
    result.hidden = !poll
    if (!poll) return
    const rows = results(poll)
    const verdict = outcome(poll)
    const basis = resultBasis(poll, getLang())
    // Bars are shares of the base the rule counts, never of the largest option.
    replaceContent(
      result,
      h('p', { class: 'label' }, t('display.results')),
      h('p', { class: 'result-question' }, poll.question),
      h(
        'div',
        { class: 'chart', role: 'img', 'aria-label': rows.map((r) => `${r.label}: ${r.count}`).join(', ') },
        rows.map((r) =>
          h(
            'div',
            { class: r.absent ? 'chart-row absent' : 'chart-row' },
            h('span', { class: 'chart-label' }, r.label),
            h('span', { class: 'chart-track' }, h('span', { class: 'chart-bar', style: `width:${Math.min(1, r.share) * 100}%` })),
            h('span', { class: 'chart-value' }, `${r.count}`, h('small', {}, ` (${formatShare(r.share, getLang())})`)),
          ),
        ),
      ),
      basis
        ? h(
            'p',
            { class: 'result-basis' },
            basis.rule ? h('span', { class: 'basis-rule' }, basis.rule) : null,
            h('span', { class: 'basis-first' }, basis.first),
          )
        : null,
      // Why nothing passed, as the laptops say it (ballot.js).
      poll.quorum_met === false ? h('p', { class: 'result-quorum' }, t('poll.noQuorum')) : null,
      verdict ? h('p', { class: `verdict ${verdict}`, 'data-outcome': verdict }, t(`poll.${verdict}`)) : null,
    )
  }

  function renderTimers() {
    const room = state.room
    const floor = room.floor
    const d = room.display ?? {}
    const parts = []
    if (floor) {
      const c = countdown(floor.started, floor.limit_s)
      parts.push(
        h(
          'div',
          { class: `speaker ${c.overrun ? 'overrun' : c.warn ? 'warn' : ''}` },
          h('p', { class: 'label' }, t('display.speaker')),
          h('p', { class: 'speaker-name' }, floor.name ?? ''),
          h('p', { class: 'speaker-kind' }, t(`speak.kind.${floor.kind}`)),
          h('p', { class: 'speaker-time', 'data-remaining': String(c.remaining) }, c.overrun ? `+${formatSeconds(-c.remaining)}` : formatSeconds(c.remaining)),
        ),
      )
    }
    const c = d.countdown_start && d.countdown_s ? countdown(d.countdown_start, d.countdown_s) : null
    if (c && c.remaining * -1000 < ENDED_COUNTDOWN_MS) {
      parts.push(
        h(
          'div',
          { class: `countdown ${c.remaining <= 0 ? 'done' : c.warn ? 'warn' : ''}` },
          h('p', { class: 'label' }, d.countdown_label || t('display.countdown')),
          h('p', { class: 'countdown-time' }, formatSeconds(Math.max(0, c.remaining))),
        ),
      )
    }
    replaceContent(timers, parts)
  }

  function renderPanel(showingPage) {
    const room = state.room
    const shown = showingPage ? describePresenting(room.presenting, documents()) : null
    const items = agenda()
    const index = IN_SESSION.has(sessionState(room)) ? currentIndex({ agenda: items, cursor: room.cursor }) : -1
    const poll = openPoll(room)
    const q = room.quorum ?? {}
    const next = room.queue[0]
    const s = sessionState(room)
    replaceContent(
      panel,
      s === 'suspended' ? h('p', { class: `session-note ${s}` }, t('display.suspended')) : null,
      shown ? h('p', { class: 'page-caption' }, t('display.presentedPage', shown)) : null,
      showingPage && items[index] ? h('div', { class: 'panel-item' }, h('p', { class: 'label' }, t('display.current')), itemLine(items[index], index, 'side-item')) : null,
      timers,
      next
        ? h(
            'div',
            { class: 'next-speaker' },
            h('p', { class: 'label' }, t('display.nextSpeaker')),
            h('p', { class: 'next-name' }, next.name, h('span', { class: 'next-kind' }, ` · ${t(`speak.kind.${next.kind}`)}`)),
            room.queue.length > 1 ? h('p', { class: 'next-more' }, t('display.queueMore', { count: room.queue.length - 1 })) : null,
          )
        : null,
      poll
        ? h(
            'div',
            { class: 'poll-open' },
            h('p', { class: 'label' }, t('display.pollOpen')),
            h('p', { class: 'poll-question' }, poll.question),
            h('p', { class: 'poll-cast' }, q.members ? t('display.pollCast', { count: poll.cast ?? 0, members: q.members }) : t('poll.castCount', { count: poll.cast ?? 0 })),
          )
        : null,
      q.members !== undefined
        ? h('p', { class: `quorum ${q.met ? 'met' : 'not-met'}`, 'data-met': String(Boolean(q.met)) }, t(q.met ? 'quorum.met' : 'quorum.notMet', { present: q.present ?? 0, members: q.members ?? 0, required: q.required ?? 0 }))
        : null,
      qr.show(wantedOnStage(room)),
    )
    renderTimers()
  }

  function render() {
    if (!alive) return
    const room = state.room
    const title = field('title') || ''
    document.title = title || t('app.name')
    replaceContent(
      header,
      h('p', { class: 'where' }, [field('body'), field('room')].filter(Boolean).join(' · ')),
      h('h1', { class: 'title' }, title),
    )

    const session = sessionState(room)
    const closed = session === 'closed' || ['ended', 'archived'].includes(room.meeting.status)
    root.classList.toggle('closed-mode', closed)
    closedView.hidden = !closed
    if (closed) {
      replaceContent(closedView, h('p', { class: 'closed-label' }, t('display.sessionEnded')), h('h2', { class: 'closed-title' }, title))
    }
    const presented = !closed && room.presenting?.document !== null && room.presenting?.document !== undefined
    // The layout first: the page is measured in the box it will live in.
    root.classList.toggle('presenting', presented)
    const showingPage = page.update({ presenting: closed ? null : room.presenting, documents: documents() })
    const items = agenda()
    const cursor = currentIndex({ agenda: items, cursor: room.cursor })
    const index = IN_SESSION.has(session) ? cursor : -1
    const current = items[index]
    // Before the opening, the item the chair has set first comes next.
    const first = Math.max(0, cursor)
    const next = index < 0 ? items[first] : items[index + 1]
    agendaView.hidden = showingPage || closed
    if (closed) {
      agendaView.replaceChildren()
    } else if (!showingPage) {
      replaceContent(
        agendaView,
        current
          ? [h('p', { class: 'label' }, t('display.current')), itemLine(current, index, 'current')]
          : h('p', { class: 'current waiting' }, t('display.notStarted')),
        next
          ? h('div', { class: 'next' }, h('p', { class: 'label' }, t('display.next')), itemLine(next, index < 0 ? first : index + 1, 'next-item'))
          : current
            ? h('div', { class: 'next' }, h('p', { class: 'label' }, t('display.lastItem')))
            : null,
      )
    }
    renderResult(closed ? null : shownResult())
    if (closed) {
      qr.show(false)
      panel.replaceChildren()
    } else renderPanel(showingPage)

    const message = closed ? null : room.display?.message
    banner.hidden = !message
    root.classList.toggle('has-message', Boolean(message))
    if (message && banner.textContent !== message) banner.textContent = message
    renderLive()
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
    if (event.status === Status.LIVE) {
      state.everLive = true
      state.offlineSince = null
      // What changed while we were away (documents, agenda) comes again.
      loadInfo()
    } else if (state.offlineSince === null) {
      state.offlineSince = Date.now()
    }
    renderLive()
    if (event.status === Status.STOPPED) onStopped(event)
  })
  const offRoom = observeRoom(conn.doc, (room) => {
    state.room = room
    render()
    onSession(sessionState(room))
  })
  const offLang = onLangChange(render)
  const ticker = setInterval(() => {
    renderClock()
    renderTimers()
    if (wantedOnStage(state.room) !== qr.on) render() // the check-in window opened
    const poll = root.classList.contains('closed-mode') ? null : shownResult()
    if ((poll?.id ?? null) !== resultShown) renderResult(poll)
  }, 1000)
  const onResize = () => render()
  window.addEventListener('resize', onResize)

  render()
  loadInfo()

  return {
    destroy() {
      alive = false
      clearInterval(ticker)
      window.removeEventListener('resize', onResize)
      offStatus()
      offRoom()
      offLang()
      page.destroy()
      qr.destroy()
      conn.destroy()
    },
  }
}
