// One meeting, live. Everyone: the agenda with the current item, the
// document reader following the presenter, attendance, asking to speak, the
// ballot, messages. The chair and the secretary also get the console.

import { h, replaceContent } from '../../../shared/dom.js'
import { getMeeting } from '../../../shared/api.js'
import { LiveConnection, Status, websocketUrl } from '../../../shared/live.js'
import { readRoom, observeRoom, currentIndex, sessionState, isPresent, sameId, openPoll } from '../../../shared/room.js'
import { statusLabel, stopReason, badgeClass } from '../../../shared/status.js'
import { deviceName } from '../../../shared/device.js'
import { t, errorMessage, label, onLangChange } from '../../../shared/i18n/index.js'
import { formatDateTime, formatTime } from '../../../shared/time.js'
import { CloseCode } from '../../../shared/messages.js'
import { clearImages } from '../../../shared/images.js'
import { isPast } from '../../../shared/records.js'
import { agendaList } from '../parts/agenda.js'
import { createReader } from '../parts/reader.js'
import { createSpeak } from '../parts/speak.js'
import { createBallot } from '../parts/ballot.js'
import { createProxy } from '../parts/proxy.js'
import { createResults } from '../parts/results.js'
import { closeReceiptCheck } from '../parts/receipts.js'
import { openInbox, createMessages, createDesk, unreadOf } from '../parts/messages.js'
import { createConsole, quorumLine } from '../parts/console.js'
import { createInvitation } from '../parts/invitation.js'
import { createDeputies } from '../parts/deputies.js'
import { checkInOpen, windowOpensAt } from '../../../shared/checkin.js'

const byPosition = (a, b) => (a.position ?? 0) - (b.position ?? 0)
const CONSOLE_ROLES = new Set(['chair', 'secretary'])
// The layout chosen last on this page: kept while moving between meetings,
// gone with the page at logout (nothing of a person stays in storage).
let chosenLayout = 'full' // full | reading

export function mountMeeting(root, id, ctx) {
  const conn = new LiveConnection(
    websocketUrl(`meeting/${encodeURIComponent(id)}/room`, location, { device: deviceName() }),
    { readOnly: true, awareness: { client: 'web' } },
  )
  const state = {
    info: null, // GET /api/meetings/{id}
    infoError: null,
    room: readRoom(conn.doc),
    busy: 0,
    intentError: '',
    tab: 'reader',
    checkIn: 'idle', // idle | sending | done | failed
    checkInError: '',
    // A room code opened from the QR link (#/checkin/ID/CODE): sent once, after sync.
    code: ctx.checkinCode ?? null,
    codeDone: false,
    layout: chosenLayout,
    sideOpen: chosenLayout !== 'reading',
  }
  let alive = true
  let announcedItem

  const role = () => state.info?.role ?? ''
  const documents = () => state.info?.documents ?? []

  async function act(type, args) {
    state.busy += 1
    state.intentError = ''
    renderAlert()
    let ok = false
    try {
      await conn.sendIntent(type, args)
      ok = true
    } catch (err) {
      state.intentError = errorMessage(err)
    }
    state.busy -= 1
    if (alive) renderAlert()
    return ok
  }
  const sendIntent = (type, args) => conn.sendIntent(type, args)

  // Parts that persist across renders.
  const head = h('div', { class: 'meeting-head' })
  const statusRow = h('div', { class: 'status-row' })
  const badge = h('p', { class: 'badge', role: 'status' })
  const alert = h('div', { class: 'alert-slot', role: 'alert' })
  const announcer = h('p', { class: 'visually-hidden', 'aria-live': 'polite' })
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('meeting.views') })
  const agendaPanel = h('section', { class: 'panel agenda-panel', 'aria-labelledby': 'agenda-title' })
  const readingTools = h('span', { class: 'reading-tools' })
  const reader = createReader({ meetingId: id, user: ctx.user, role, act, tools: readingTools, onError: (m) => { state.intentError = m; renderAlert() } })
  const speak = createSpeak({ user: ctx.user, role, act })
  const ballot = createBallot({ role, user: ctx.user, sendIntent })
  const proxy = createProxy({ user: ctx.user, act })
  const results = createResults({ receiptsOf: ballot.receiptsOf })
  const inbox = openInbox(id)
  const messages = createMessages({ user: ctx.user, inbox, sendIntent, role })
  let desk = null
  let deputies = null // the chair's consent to deputies (Decision 45/2018/QĐ-TTg)
  let console_ = null
  const consolePane = h('div', { class: 'console-pane', id: 'pane-console', role: 'tabpanel', 'aria-labelledby': 'tab-console', hidden: true })
  const readerPane = h('div', { class: 'reader-pane', id: 'pane-reader', role: 'tabpanel', 'aria-labelledby': 'tab-reader' }, reader.el)
  const invitation = createInvitation({ meetingId: id, unauthorized: ctx.unauthorized })
  const side = h('div', { class: 'side', id: 'meeting-side' }, invitation.el, agendaPanel, speak.el, proxy.el, results.el, messages.el)
  const mainCol = h('div', { class: 'main-col' }, ballot.el, tabs, readerPane, consolePane)
  const screen = h('div', {
    class: 'meeting',
    // Esc folds the side panels that opened over the page.
    onkeydown: (e) => {
      if (e.key !== 'Escape' || state.layout !== 'reading' || !state.sideOpen) return
      state.sideOpen = false
      renderLayout()
      screen.querySelector('[data-key="side-toggle"]')?.focus()
    },
  }, head, h('div', { class: 'status-line' }, badge, statusRow), alert, announcer, h('div', { class: 'meeting-layout' }, side, mainCol))
  root.replaceChildren(screen)

  // The reading layout gives the page the window: the heading and the status
  // rows fold away, the side panels open over the page on demand.
  function setLayout(layout) {
    state.layout = chosenLayout = layout
    state.sideOpen = layout !== 'reading'
    renderLayout()
    reader.setReading(layout === 'reading')
  }

  // Built once, updated in place: a room update never takes the focus away.
  const sideToggle = h('button', {
    type: 'button',
    'data-key': 'side-toggle',
    'aria-controls': 'meeting-side',
    onclick: () => {
      state.sideOpen = !state.sideOpen
      renderLayout()
      reader.measure()
    },
  })
  const readingToggle = h('button', {
    type: 'button',
    'data-key': 'reading',
    onclick: () => setLayout(state.layout === 'reading' ? 'full' : 'reading'),
  })
  const miniBadge = h('span', { 'data-key': 'live-badge' })
  // New replies and messages for this person, in reach in every layout (full
  // screen included): opens the messages.
  const mailCue = h('button', {
    type: 'button',
    class: 'unread-cue',
    'data-key': 'unread-cue',
    hidden: true,
    onclick: () => {
      if (document.fullscreenElement) document.exitFullscreen?.().catch(() => {})
      if (!state.sideOpen) {
        state.sideOpen = true
        renderLayout()
        reader.measure()
      }
      messages.el.scrollIntoView?.({ block: 'start' })
      messages.el.querySelector('textarea, select, button')?.focus()
    },
  })
  readingTools.append(mailCue, sideToggle, readingToggle, miniBadge)

  function renderMailCue() {
    const unread = unreadOf(inbox, ctx.user).count
    mailCue.hidden = !unread
    mailCue.textContent = unread ? `✉ ${t('message.unread', { count: unread })}` : ''
    renderTitle()
  }

  function renderLayout() {
    screen.dataset.layout = state.layout
    screen.dataset.side = state.sideOpen ? 'open' : 'closed'
    side.hidden = !state.sideOpen
    const reading = state.layout === 'reading'
    sideToggle.setAttribute('aria-expanded', String(state.sideOpen))
    sideToggle.textContent = state.sideOpen ? t('reading.sideHide') : t('reading.sideShow')
    readingToggle.setAttribute('aria-pressed', String(reading))
    readingToggle.className = reading ? 'primary' : ''
    readingToggle.textContent = t('reading.toggle')
    miniBadge.className = `${badgeClass(conn.status)} mini-badge`
    miniBadge.textContent = statusLabel(conn.status)
  }

  function setupRole() {
    if (!CONSOLE_ROLES.has(role()) || console_) return
    console_ = createConsole({ role, act, documents, meetingId: id })
    desk = createDesk({ inbox, role, user: ctx.user, sendIntent })
    deputies = role() === 'chair' ? createDeputies({ meetingId: id, unauthorized: ctx.unauthorized }) : null
    console_.layout([desk.el])
    // Above the console: the few deputies awaiting consent come before the session.
    consolePane.append(...[deputies?.el, console_.el].filter(Boolean))
    const params = new URLSearchParams(location.hash.split('?')[1] ?? '')
    if (params.get('tab') === 'console') state.tab = 'console'
  }

  function renderTabs() {
    tabs.setAttribute('aria-label', t('meeting.views'))
    if (!console_) {
      tabs.hidden = true
      return
    }
    tabs.hidden = false
    const tab = (key, text, extra = null) =>
      h('button', {
        type: 'button',
        role: 'tab',
        id: `tab-${key}`,
        'data-key': `tab-${key}`,
        'aria-selected': String(state.tab === key),
        'aria-controls': `pane-${key}`,
        tabindex: state.tab === key ? '0' : '-1',
        onclick: () => {
          state.tab = key
          renderTabs()
        },
        onkeydown: (e) => {
          if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
            state.tab = state.tab === 'reader' ? 'console' : 'reader'
            renderTabs()
            tabs.querySelector(`[data-key="tab-${state.tab}"]`)?.focus()
          }
        },
      }, text, extra)
    const unread = desk?.unread() ?? 0
    replaceContent(
      tabs,
      tab('reader', t('meeting.tabReader')),
      tab('console', role() === 'chair' ? t('meeting.tabConsole') : t('meeting.tabDesk'), unread ? h('span', { class: 'unread-count', 'data-key': 'tab-unread', 'aria-label': t('message.unread', { count: unread }) }, String(unread)) : null),
    )
    readerPane.hidden = state.tab !== 'reader'
    consolePane.hidden = state.tab !== 'console'
  }

  // The browser's history list keeps every title it saw, after logout too: a
  // shared laptop's list names no meeting, only the screen (and unread count).
  function renderTitle() {
    const unread = unreadOf(inbox, ctx.user).count
    document.title = `${unread ? `(${unread}) ` : ''}${t('meeting.docTitle')} – ${t('app.name')}`
  }

  function renderHead() {
    const title = state.room.meeting.title ?? state.info?.title ?? ''
    renderTitle()
    const meta = [formatDateTime(state.room.meeting.starts_at ?? state.info?.starts_at), state.info?.body ?? state.room.meeting.body, state.info?.room ?? state.room.meeting.room]
    replaceContent(
      head,
      h(
        'nav',
        { class: 'crumbs', 'aria-label': t('meeting.back') },
        h('a', { href: '#/', 'data-key': 'back' }, h('span', { 'aria-hidden': 'true' }, '← '), t('meeting.back')),
        state.info?.can_prepare || role() === 'secretary'
          ? h('a', { href: `#/prepare/${encodeURIComponent(id)}`, 'data-key': 'prepare' }, t('prepare.link'))
          : null,
        isPast({ status: state.room.meeting.status ?? state.info?.status }) && (role() ? role() !== 'display' : state.info?.can_prepare)
          ? h('a', { href: `#/minutes/${encodeURIComponent(id)}`, 'data-key': 'record' }, t('record.link'))
          : null,
      ),
      h('h1', {}, title || t('app.loading')),
      h('p', { class: 'meta' }, meta.filter(Boolean).join(' · '), role() ? ` · ${t('meeting.yourRole', { role: label('role', role()) })}` : ''),
    )
  }

  function renderStatus() {
    const text = statusLabel(conn.status)
    if (badge.textContent !== text) badge.textContent = text
    badge.className = badgeClass(conn.status)
    const s = sessionState(state.room)
    const present = isPresent(state.room, ctx.user.id)
    const at = state.room.attendance[String(ctx.user.id)]?.at
    replaceContent(
      statusRow,
      h('span', { class: `tag session-${s}`, 'data-session': s }, label('session', s)),
      quorumLine(state.room.quorum),
      role() && role() !== 'display'
        ? present
          ? h('span', { class: 'ok-text checked-in', 'data-key': 'checked-in' }, '✓ ', t('attendance.done', { time: formatTime(at) }))
          : s === 'closed'
            ? null
            : checkInOpen(state.room)
              ? h('button', { type: 'button', 'data-key': 'check-in', disabled: state.checkIn === 'sending' || conn.status !== Status.LIVE, onclick: () => checkIn() }, state.checkIn === 'sending' && state.code ? t('attendance.byCode') : t('attendance.checkIn'))
              : h('span', { class: 'meta', 'data-key': 'check-in-later' }, t('attendance.opensAt', { time: formatDateTime(windowOpensAt(state.room.meeting.starts_at)) }))
        : null,
      state.checkInError ? h('span', { class: 'error' }, state.checkInError) : null,
    )
  }

  async function checkIn(code) {
    if (state.checkIn === 'sending') return
    state.checkIn = 'sending'
    state.checkInError = ''
    renderStatus()
    try {
      await conn.sendIntent('attendance.check_in', code ? { code } : {})
      state.checkIn = 'done'
    } catch (err) {
      state.checkIn = 'failed'
      state.checkInError = errorMessage(err)
    }
    if (alive) renderStatus()
  }

  /**
   * Opening the meeting checks nobody in (only an act does, in the session
   * window). Opening a room code's link does: the code is sent once, then
   * dropped from the address, so a reload or the back button cannot reuse it.
   */
  function useCode() {
    if (!state.code || state.codeDone || !state.info || !conn.synced) return
    state.codeDone = true
    const code = state.code
    history.replaceState(null, '', `#/meeting/${encodeURIComponent(id)}`)
    if (role() === 'display' || isPresent(state.room, ctx.user.id)) return
    checkIn(code)
  }

  function renderAlert() {
    const messagesList = []
    if (state.infoError) messagesList.push(errorMessage(state.infoError))
    if (conn.status === Status.STOPPED) messagesList.push(stopReason(conn.detail))
    if (state.intentError) messagesList.push(state.intentError)
    const retry =
      conn.status === Status.STOPPED && !state.infoError
        ? h('button', { type: 'button', 'data-key': 'reconnect', onclick: () => conn.reconnect() }, t('live.retry'))
        : null
    const dismiss = state.intentError
      ? h('button', { type: 'button', class: 'dismiss', 'data-key': 'dismiss', 'aria-label': t('error.dismiss'), onclick: () => { state.intentError = ''; renderAlert() } }, '×')
      : null
    replaceContent(alert, messagesList.length ? h('div', { class: 'alert' }, h('p', {}, messagesList.join(' ')), retry, dismiss) : null)
  }

  function agenda() {
    return state.room.agenda.length ? state.room.agenda : [...(state.info?.agenda ?? [])].sort(byPosition)
  }

  function renderAgenda() {
    const chair = role() === 'chair'
    const items = agenda()
    const index = currentIndex({ agenda: items, cursor: state.room.cursor })
    replaceContent(
      agendaPanel,
      h('h2', { id: 'agenda-title' }, t('meeting.agenda')),
      index < 0 && items.length ? h('p', { class: 'meta' }, t('meeting.notStarted')) : null,
      agendaList({
        agenda: items,
        cursorItem: state.room.cursor.item,
        session: sessionState(state.room),
        chair,
        busy: conn.status !== Status.LIVE,
        onGoto: (item) => act('agenda.goto', { item }),
      }),
    )
  }

  function announceCurrent() {
    const items = agenda()
    const live = ['open', 'suspended'].includes(sessionState(state.room))
    const item = live ? items[currentIndex({ agenda: items, cursor: state.room.cursor })] : undefined
    const itemId = item?.id ?? null
    if (announcedItem !== undefined && !sameId(itemId, announcedItem) && item) {
      announcer.textContent = `${t('meeting.current')}: ${item.title}`
    }
    announcedItem = itemId
  }

  // A vote opening while the page fills the screen: full screen is left, so
  // the ballot (above the page) is seen at once.
  let seenPoll
  function followVote() {
    const poll = openPoll(state.room)
    const id = poll ? String(poll.id) : null
    if (id && seenPoll !== undefined && id !== seenPoll && document.fullscreenElement) {
      document.exitFullscreen?.().catch(() => {})
    }
    seenPoll = id
  }

  function render() {
    if (!alive) return
    followVote()
    renderLayout()
    renderHead()
    renderStatus()
    renderAlert()
    renderTabs()
    renderAgenda()
    speak.update(state.room)
    ballot.update(state.room)
    proxy.update(state.room)
    results.update(state.room)
    if (conn.synced || state.everSynced) reader.update(state.room)
    console_?.update(state.room)
    invitation.setStatus(state.room.meeting.status)
  }

  async function loadInfo() {
    try {
      const data = await getMeeting(id)
      state.info = data.meeting ?? {}
      setupRole()
      reader.setDocuments(state.info.documents ?? [])
      invitation.set({ answer: state.info.my_answer, status: state.info.status, role: state.info.role, pdf: state.info.invitation?.pdf, letter: state.info.invitation?.mine })
    } catch (err) {
      if (err.status === 401) return alive && ctx.unauthorized()
      state.infoError = err
    }
    render()
    useCode()
  }

  const offStatus = conn.on('status', ({ status, code }) => {
    if (status === Status.STOPPED && code === CloseCode.UNAUTHORIZED) {
      ctx.unauthorized()
      return
    }
    renderStatus()
    renderAlert()
    renderLayout()
  })
  // The room carries a digest of the document list: when the secretary adds,
  // changes or removes a document, every open laptop reloads the list.
  let documentsRev
  function followDocuments() {
    const rev = state.room.meeting.documents ?? ''
    // Spread over a second: the whole room reloads at once otherwise.
    if (documentsRev !== undefined && rev !== documentsRev && state.info) {
      setTimeout(() => alive && loadInfo(), Math.random() * 1000)
    }
    documentsRev = rev
  }

  const offSynced = conn.on('synced', () => {
    state.everSynced = true
    state.room = readRoom(conn.doc) // the observer's copy comes a frame later
    followDocuments()
    render()
    useCode()
  })
  const offRoom = observeRoom(conn.doc, (room) => {
    state.room = room
    followDocuments()
    announceCurrent()
    render()
    useCode()
  })
  const offLang = onLangChange(() => {
    renderMailCue()
    invitation.render()
    deputies?.render()
    render()
  })
  const onInbox = () => {
    renderTabs()
    renderMailCue()
  }
  const offInbox = () => inbox.conn.doc.off('update', onInbox)
  inbox.conn.doc.on('update', onInbox)
  const ticker = setInterval(() => {
    speak.tick()
    console_?.tick()
  }, 1000)

  render()
  if (state.layout === 'reading') reader.setReading(true)
  loadInfo()

  return {
    destroy() {
      alive = false
      clearInterval(ticker)
      offStatus()
      offSynced()
      offRoom()
      offLang()
      offInbox()
      console_?.destroy()
      reader.destroy()
      results.destroy()
      closeReceiptCheck()
      messages.destroy()
      desk?.destroy()
      deputies?.destroy()
      inbox.conn.destroy()
      conn.destroy()
      clearImages()
    },
  }
}
