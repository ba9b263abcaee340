// One meeting, live: title, agenda with the current item, what is presented,
// and for the chair the controls that send intents.

import { h, replaceContent } from '../../../shared/dom.js'
import { getMeeting } from '../../../shared/api.js'
import { LiveConnection, Status, websocketUrl } from '../../../shared/live.js'
import { readRoom, observeRoom, currentIndex, sameId } from '../../../shared/room.js'
import { describePresenting } from '../../../shared/presenting.js'
import { statusLabel, stopReason, badgeClass } from '../../../shared/status.js'
import { t, errorMessage, label, onLangChange } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'
import { CloseCode } from '../../../shared/messages.js'
import { agendaList } from '../parts/agenda.js'
import { presentControl, clampPage } from '../parts/present.js'

const byPosition = (a, b) => (a.position ?? 0) - (b.position ?? 0)

export function mountMeeting(root, id, ctx) {
  const conn = new LiveConnection(websocketUrl(`meeting/${encodeURIComponent(id)}/room`), {
    readOnly: true,
    awareness: { client: 'web' },
  })
  const state = {
    info: null, // GET /api/meetings/{id}
    infoError: null,
    room: readRoom(conn.doc),
    busy: false,
    intentError: '',
    selection: { document: null, page: 1, edited: false },
  }
  let alive = true
  let announcedItem

  // Parts that persist across renders, so assistive technology hears changes
  // instead of a new region each time.
  const head = h('div', { class: 'meeting-head' })
  const badge = h('p', { class: 'badge', role: 'status' })
  const alert = h('div', { class: 'alert-slot', role: 'alert' })
  const announcer = h('p', { class: 'visually-hidden', 'aria-live': 'polite' })
  const content = h('div', { class: 'meeting-body' })
  root.replaceChildren(
    head,
    badge,
    alert,
    announcer,
    content,
  )

  const meetingField = (key) => state.room.meeting[key] ?? state.info?.[key]
  const agenda = () =>
    state.room.agenda.length ? state.room.agenda : [...(state.info?.agenda ?? [])].sort(byPosition)
  const documents = () => state.info?.documents ?? []
  const canPresent = () =>
    state.info?.role === 'chair' ||
    (ctx.user?.id !== undefined && sameId(state.room.presenting.presenter, ctx.user.id))

  async function act(type, args) {
    if (state.busy) return false
    state.busy = true
    state.intentError = ''
    render()
    let ok = false
    try {
      await conn.sendIntent(type, args)
      ok = true
    } catch (err) {
      state.intentError = errorMessage(err)
    }
    state.busy = false
    if (alive) render()
    return ok
  }

  async function present(document, page) {
    state.selection = { document, page, edited: true }
    if (await act('present.page', { document, page })) state.selection.edited = false
  }

  function step(delta) {
    const { selection } = state
    const presented = state.room.presenting
    const base = sameId(presented.document, selection.document) ? presented.page : selection.page
    const doc = documents().find((d) => sameId(d.id, selection.document)) ?? documents()[0]
    if (!doc) return
    present(doc.id, clampPage((Number(base) || 1) + delta, doc.page_count))
  }

  /** Until the chair edits the form, it shows what is being presented. */
  function followPresenting() {
    const { presenting } = state.room
    if (state.selection.edited) return
    if (presenting.document !== null && presenting.document !== undefined) {
      state.selection = { document: presenting.document, page: presenting.page ?? 1, edited: false }
    } else if (state.selection.document === null && documents().length) {
      state.selection = { document: documents()[0].id, page: 1, edited: false }
    }
  }

  function renderHead() {
    const title = meetingField('title') || ''
    document.title = `${title || t('app.loading')} – ${t('app.name')}`
    const meta = [formatDateTime(meetingField('starts_at')), meetingField('body'), meetingField('room')]
    const role = state.info?.role
    replaceContent(
      head,
      h(
        'nav',
        { class: 'crumbs', 'aria-label': t('meeting.back') },
        h('a', { href: '#/', 'data-key': 'back' }, h('span', { 'aria-hidden': 'true' }, '← '), t('meeting.back')),
      ),
      h('h1', {}, title || t('app.loading')),
      h('p', { class: 'meta' }, meta.filter(Boolean).join(' · ')),
      role ? h('p', { class: 'meta' }, t('meeting.yourRole', { role: label('role', role) })) : null,
    )
  }

  function renderStatus() {
    const text = statusLabel(conn.status)
    if (badge.textContent !== text) badge.textContent = text
    badge.className = badgeClass(conn.status)
  }

  function renderAlert() {
    const messages = []
    if (state.infoError) messages.push(errorMessage(state.infoError))
    if (conn.status === Status.STOPPED) messages.push(stopReason(conn.detail))
    if (state.intentError) messages.push(state.intentError)
    const retry =
      conn.status === Status.STOPPED && !state.infoError
        ? h('button', { type: 'button', 'data-key': 'reconnect', onclick: () => conn.reconnect() }, t('live.retry'))
        : null
    const dismiss = state.intentError
      ? h(
          'button',
          {
            type: 'button',
            class: 'dismiss',
            'data-key': 'dismiss',
            'aria-label': t('error.dismiss'),
            onclick: () => {
              state.intentError = ''
              render()
            },
          },
          '×',
        )
      : null
    replaceContent(
      alert,
      messages.length ? h('div', { class: 'alert' }, h('p', {}, messages.join(' ')), retry, dismiss) : null,
    )
  }

  function announceCurrent() {
    const item = agenda()[currentIndex({ agenda: agenda(), cursor: state.room.cursor })]
    const itemId = item?.id ?? null
    if (announcedItem !== undefined && !sameId(itemId, announcedItem) && item) {
      announcer.textContent = `${t('meeting.current')}: ${item.title}`
    }
    announcedItem = itemId
  }

  function renderContent() {
    const chair = state.info?.role === 'chair'
    // Controls wait while an intent is out or the socket is not live.
    const blocked = state.busy || conn.status !== Status.LIVE
    const items = agenda()
    const index = currentIndex({ agenda: items, cursor: state.room.cursor })
    const shown = describePresenting(state.room.presenting, documents())
    const aria = state.busy ? 'true' : false

    const agendaSection = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'agenda-title' },
      h('h2', { id: 'agenda-title' }, t('meeting.agenda')),
      chair
        ? h(
            'div',
            { class: 'row', role: 'group', 'aria-label': t('meeting.chairControls') },
            h('button', {
              type: 'button',
              'data-key': 'prev',
              'aria-disabled': blocked || index <= 0 ? 'true' : false,
              onclick: () => !blocked && index > 0 && act('agenda.goto', { step: -1 }),
            }, h('span', { 'aria-hidden': 'true' }, '← '), t('meeting.prev')),
            h('button', {
              type: 'button',
              class: 'primary',
              'data-key': 'next',
              'aria-disabled': blocked || index >= items.length - 1 ? 'true' : false,
              onclick: () => !blocked && index < items.length - 1 && act('agenda.goto', { step: 1 }),
            }, t('meeting.next'), h('span', { 'aria-hidden': 'true' }, ' →')),
            state.busy ? h('span', { class: 'sending' }, t('meeting.sending')) : null,
          )
        : null,
      index < 0 && items.length ? h('p', { class: 'meta' }, t('meeting.notStarted')) : null,
      agendaList({
        agenda: items,
        cursorItem: state.room.cursor.item,
        chair,
        busy: blocked,
        onGoto: (item) => act('agenda.goto', { item }),
      }),
    )

    const presentingSection = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'presenting-title', 'aria-busy': aria },
      h('h2', { id: 'presenting-title' }, t('meeting.presenting')),
      shown
        ? h('p', { class: 'presented' }, h('strong', {}, shown.title), h('span', {}, shown.page))
        : h('p', { class: 'meta' }, t('meeting.presentingNone')),
      canPresent() && state.info
        ? presentControl({
            documents: documents(),
            selection: state.selection,
            busy: blocked,
            onEdit: (selection) => {
              const changedDoc = !sameId(selection.document, state.selection.document)
              state.selection = { ...selection, edited: true }
              if (changedDoc) render()
            },
            onPresent: present,
            onStep: step,
          })
        : null,
    )

    replaceContent(content, agendaSection, presentingSection)
  }

  function render() {
    if (!alive) return
    renderHead()
    renderStatus()
    renderAlert()
    renderContent()
  }

  async function loadInfo() {
    try {
      const data = await getMeeting(id)
      state.info = data.meeting ?? {}
      followPresenting()
    } catch (err) {
      if (err.status === 401) return alive && ctx.unauthorized()
      state.infoError = err
    }
    render()
  }

  const offStatus = conn.on('status', ({ status, code }) => {
    if (status === Status.STOPPED && code === CloseCode.UNAUTHORIZED) {
      ctx.unauthorized()
      return
    }
    render()
  })
  const offRoom = observeRoom(conn.doc, (room) => {
    state.room = room
    followPresenting()
    announceCurrent()
    render()
  })
  const offLang = onLangChange(render)

  render()
  loadInfo()

  return {
    destroy() {
      alive = false
      offStatus()
      offRoom()
      offLang()
      conn.destroy()
    },
  }
}
