// Replay of an ended meeting (#/replay/ID, #/replay/ID?view=projector):
// the session's timeline with a scrubber, and at the chosen moment the room
// as it was, read with the live room's own readers (shared/room.js). The
// projector view shows the same moment large, for the chair to put on the
// room's screen. Who may: docs/replay.md; the server decides.

import { h, replaceContent } from '../../../shared/dom.js'
import { getReplay, getReplayRoom, replayPdfUrl } from '../../../shared/api.js'
import { readRoom, currentIndex, personName, sessionState } from '../../../shared/room.js'
import { roomDoc, momentLabel, momentAt, clock } from '../../../shared/replay.js'
import { optionLabels, countFor } from '../../../shared/polls.js'
import { pageUrl, fetchImage } from '../../../shared/images.js'
import { makeLayer, drawStrokes } from '../../../shared/ink-svg.js'
import { t, errorMessage, label, onLangChange } from '../../../shared/i18n/index.js'

export function mountReplay(root, id, ctx, { projector = false } = {}) {
  const state = { timeline: null, end: null, at: null, shown: null, error: null, loading: 0 }
  let alive = true
  const head = h('div', { class: 'meeting-head' })
  const controls = h('div', { class: 'replay-controls panel' })
  const stage = h('section', { class: 'replay-stage panel', 'aria-labelledby': 'replay-stage-title' })
  const side = h('div', { class: 'replay-side' })
  const list = h('section', { class: 'replay-timeline panel', 'aria-labelledby': 'replay-timeline-title' })
  root.replaceChildren(
    h('div', { class: `replay${projector ? ' replay-projector' : ''}`, 'data-view': projector ? 'projector' : 'laptop' },
      head, controls, h('div', { class: 'replay-body' }, stage, side, projector ? null : list)),
  )

  const span = () => ({ from: Date.parse(state.timeline?.from ?? 0), to: Date.parse(state.timeline?.to ?? 0) })
  const endRoom = () => readRoom(roomDoc(state.end?.room))
  const moments = () => state.timeline?.moments ?? []

  function renderHead() {
    document.title = `${t('replay.title')} – ${t('app.name')}`
    const title = state.end?.room?.meeting?.title ?? ''
    replaceContent(
      head,
      projector
        ? null
        : h('nav', { class: 'crumbs', 'aria-label': t('meeting.back') },
            h('a', { href: '#/', 'data-key': 'back' }, h('span', { 'aria-hidden': 'true' }, '← '), t('meeting.back')),
            h('a', { href: `#/minutes/${encodeURIComponent(id)}`, 'data-key': 'record' }, t('replay.record'))),
      h('h1', {}, title ? t('replay.heading', { title }) : t('replay.title')),
      state.error ? h('p', { class: 'error', role: 'alert' }, errorMessage(state.error)) : null,
    )
  }

  function renderControls() {
    if (!state.timeline) return replaceContent(controls)
    const { from, to } = span()
    const index = momentAt(moments(), state.at)
    const go = (i) => i >= 0 && i < moments().length && showMoment(moments()[i])
    const slider = h('input', {
      type: 'range', id: 'replay-scrubber', min: String(from), max: String(to), step: '1000',
      value: String(state.at), 'data-key': 'scrubber',
      'aria-valuetext': clock(state.at),
      oninput: (e) => {
        time.textContent = clock(Number(e.target.value))
      },
      onchange: (e) => show(Number(e.target.value)),
    })
    const time = h('output', { for: 'replay-scrubber', class: 'replay-clock', 'data-key': 'clock' }, clock(state.at))
    replaceContent(
      controls,
      h('label', { for: 'replay-scrubber', class: 'replay-scrub-label' }, t('replay.scrubber')),
      h('div', { class: 'replay-scrub' },
        h('button', { type: 'button', 'data-key': 'previous', disabled: index <= 0, onclick: () => go(index - 1) }, t('replay.previous')),
        slider,
        h('button', { type: 'button', 'data-key': 'next', disabled: index >= moments().length - 1, onclick: () => go(index + 1) }, t('replay.next')),
        time),
      h('p', { class: 'meta', 'data-key': 'moment' }, index >= 0 ? momentLabel(moments()[index], endRoom()) : t('replay.beforeFirst')),
      projector
        ? null
        : h('p', { class: 'row' },
            h('a', { class: 'button', href: replayPdfUrl(id), download: '', 'data-key': 'pdf' }, t('replay.pdf')),
            h('a', { class: 'button', href: `#/replay/${encodeURIComponent(id)}?view=projector`, 'data-key': 'projector' }, t('replay.projector'))),
      state.shown && !state.shown.complete ? h('p', { class: 'callout' }, t('replay.incomplete')) : null,
    )
  }

  function renderStage(room) {
    const p = room.presenting
    const caption = p.document === null || p.document === undefined
      ? t('replay.noPage')
      : p.presenter !== null && p.presenter !== undefined
        ? t('replay.pageBy', { document: p.document, page: p.page ?? 1, name: personName(room, p.presenter, '') })
        : t('replay.page', { document: p.document, page: p.page ?? 1 })
    const figure = h('figure', { class: 'replay-page' })
    if (p.document !== null && p.document !== undefined) {
      const img = h('img', { alt: caption })
      const ink = makeLayer('replay-ink')
      figure.append(img, ink)
      fetchImage(pageUrl(p.document, p.page ?? 1, { w: projector ? 'projector' : 'laptop' })).then(
        (url) => {
          img.onload = () => drawStrokes(ink, state.shown?.ink ?? [], img.naturalHeight / img.naturalWidth || 1.4142)
          img.src = url
        },
        () => figure.append(h('p', { class: 'meta' }, t('replay.pageUnavailable'))),
      )
    }
    replaceContent(stage,
      h('h2', { id: 'replay-stage-title' }, t('replay.screen')),
      h('p', { class: 'meta', 'data-key': 'presenting' }, caption),
      h('p', { 'data-key': 'ink-count' }, t('replay.inkCount', { count: (state.shown?.ink ?? []).length })),
      figure)
  }

  function pollLine(poll) {
    const labels = optionLabels(poll)
    const counts = poll.status === 'closed'
      ? labels.map((l, i) => `${l}: ${countFor(poll, i) ?? 0}`).join(', ')
      : t('replay.pollCast', { count: poll.cast ?? 0 })
    return h('li', { 'data-poll': String(poll.id), 'data-status': poll.status },
      h('strong', {}, poll.question ?? ''), ' ',
      h('span', { class: 'tag' }, label('poll.kind', poll.kind)), ' ',
      h('span', { class: 'tag' }, t(`replay.poll.${poll.status}`)), ' ', counts)
  }

  function renderSide(room) {
    const index = currentIndex(room)
    const floor = room.floor
    const present = Object.entries(room.attendance).filter(([, a]) => a?.present)
    const q = room.quorum
    replaceContent(side,
      h('section', { class: 'panel', 'data-key': 'session' },
        h('h2', {}, t('replay.session')),
        h('p', {}, h('span', { class: 'tag', 'data-state': sessionState(room) }, label('session', sessionState(room))))),
      h('section', { class: 'panel', 'data-key': 'agenda' },
        h('h2', {}, t('replay.agenda')),
        h('ol', { class: 'replay-agenda' }, room.agenda.map((item, i) =>
          h('li', { class: i === index ? 'current' : '', 'aria-current': i === index ? 'step' : null }, item.title)))),
      h('section', { class: 'panel', 'data-key': 'floor' },
        h('h2', {}, t('replay.floor')),
        h('p', { 'data-key': 'speaker' }, floor ? t('replay.speaking', { name: personName(room, floor.user, ''), kind: label('speak.kind', floor.kind) }) : t('replay.nobody')),
        room.queue.length
          ? h('ol', { class: 'replay-queue', 'aria-label': t('replay.queue') }, room.queue.map((r) => h('li', {}, personName(room, r.user, ''))))
          : null),
      projector
        ? null
        : h('section', { class: 'panel', 'data-key': 'attendance' },
            h('h2', {}, t('replay.attendance')),
            q.members ? h('p', {}, t(q.met ? 'quorum.met' : 'quorum.notMet', q)) : null,
            h('p', { 'data-key': 'present' }, t('replay.present', { count: present.length, names: present.map(([uid]) => personName(room, uid, '')).join(', ') }))),
      h('section', { class: 'panel', 'data-key': 'polls' },
        h('h2', {}, t('replay.polls')),
        room.polls.length ? h('ul', { class: 'replay-polls' }, room.polls.map(pollLine)) : h('p', { class: 'meta' }, t('replay.noPolls'))),
    )
  }

  function renderList() {
    if (projector || !state.timeline) return
    const index = momentAt(moments(), state.at)
    const room = endRoom()
    replaceContent(list,
      h('h2', { id: 'replay-timeline-title' }, t('replay.timeline')),
      h('ol', { class: 'replay-moments' }, moments().map((m, i) =>
        h('li', {},
          h('button', {
            type: 'button', class: 'link', 'data-moment': m.kind, 'aria-current': i === index ? 'true' : null,
            onclick: () => showMoment(m),
          }, h('time', { datetime: m.at }, clock(Date.parse(m.at))), ' ', momentLabel(m, room))))))
  }

  function render() {
    renderHead()
    renderControls()
    if (state.shown) {
      const room = readRoom(roomDoc(state.shown.room))
      renderStage(room)
      renderSide(room)
    }
    renderList()
  }

  /** The room at `ms`; a moment of the timeline passes its exact time (microseconds). */
  async function show(ms, exact = null) {
    state.at = ms
    const ticket = ++state.loading
    try {
      const shown = await getReplayRoom(id, exact ?? new Date(ms).toISOString())
      if (!alive || ticket !== state.loading) return
      state.shown = shown
      state.error = null
    } catch (err) {
      if (err.status === 401) return alive && ctx.unauthorized()
      state.error = err
    }
    if (alive) render()
  }

  const showMoment = (m) => show(Date.parse(m.at), m.at)

  async function load() {
    try {
      const [timeline, end] = await Promise.all([getReplay(id), getReplayRoom(id)])
      if (!alive) return
      state.timeline = timeline
      state.end = end
      const first = moments()[0]
      await (first ? showMoment(first) : show(Date.parse(timeline.to ?? timeline.from)))
    } catch (err) {
      if (err.status === 401) return alive && ctx.unauthorized()
      state.error = err
      if (alive) render()
    }
  }

  const offLang = onLangChange(render)
  renderHead()
  load()
  return {
    destroy() {
      alive = false
      offLang()
    },
  }
}
