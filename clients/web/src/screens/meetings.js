// The caller's meetings: those to come (or under way) first, soonest first,
// then the past ones (ended, archived), latest first, each with its status.
// A search over everything the caller may see (GET /api/search) finds
// meetings by their title, agenda, documents, minutes and conclusions.

import { h, replaceContent } from '../../../shared/dom.js'
import { listMeetings, search } from '../../../shared/api.js'
import { isPast, hitsByMeeting } from '../../../shared/records.js'
import { snippetNodes } from '../../../shared/snippet.js'
import { t, errorMessage, label, has, onLangChange } from '../../../shared/i18n/index.js'
import { formatDateTime, toDate } from '../../../shared/time.js'
import { createInvitation } from '../parts/invitation.js'

const time = (m) => toDate(m.starts_at)?.getTime() ?? 0

export function mountMeetings(root, ctx) {
  const state = { meetings: null, error: null, query: '', hits: null, searching: false, searchError: null }
  let alive = true
  let searchSeq = 0
  const invitations = new Map() // meeting id -> its answer part, kept across renders
  const query = h('input', { id: 'meeting-search', 'data-key': 'meeting-search', type: 'search', autocomplete: 'off', 'aria-describedby': 'meeting-search-hint' })

  async function load() {
    state.error = null
    render()
    try {
      const data = await listMeetings()
      state.meetings = data.meetings ?? []
    } catch (err) {
      if (err.status === 401) return alive && ctx.unauthorized()
      state.error = err
    }
    if (alive) render()
  }

  async function find(e) {
    e?.preventDefault()
    const q = query.value.trim()
    const seq = ++searchSeq
    if (!q) return clearSearch()
    state.query = q
    state.searching = true
    state.searchError = null
    render()
    try {
      const data = await search(q)
      if (seq !== searchSeq || !alive) return
      state.hits = hitsByMeeting(data.results ?? [])
    } catch (err) {
      if (err.status === 401) return alive && ctx.unauthorized()
      if (seq !== searchSeq) return
      state.searchError = err
      state.hits = null
    }
    state.searching = false
    if (alive) render()
  }

  function clearSearch() {
    searchSeq += 1
    query.value = ''
    state.query = ''
    state.hits = null
    state.searching = false
    state.searchError = null
    render()
    query.focus()
  }

  const mayPrepare = (meeting) => ['secretary', 'chair'].includes(meeting.role) || ctx.user?.is_admin
  const mayRecord = (meeting) => isPast(meeting) && meeting.role !== 'display'

  function hitLine(hit) {
    const kind = has(`hit.${hit.kind}`) ? t(`hit.${hit.kind}`, { page: hit.page ?? '' }) : hit.kind
    // Minutes and notices carry the meeting's own title: said once, on the card.
    const what = ['meeting', 'minutes', 'conclusion'].includes(hit.kind) ? null : hit.title
    return h(
      'li',
      { 'data-hit': hit.kind },
      h('span', { class: 'tag' }, kind),
      ' ',
      what ? h('strong', {}, what) : null,
      hit.snippet && hit.snippet !== hit.title ? [what ? ': ' : '', h('span', { class: 'snippet' }, snippetNodes(hit.snippet))] : null,
    )
  }

  function card(meeting, hits = null) {
    const where = [meeting.body, meeting.room].filter(Boolean).join(' · ')
    return h(
      'li',
      { class: 'meeting-item', 'data-meeting': meeting.id, 'data-status': meeting.status ?? '' },
      h(
        'a',
        {
          class: 'meeting-card',
          href: `#/meeting/${encodeURIComponent(meeting.id)}`,
          'data-key': `meeting-${meeting.id}`,
        },
        h('span', { class: 'meeting-title' }, meeting.title),
        h('span', { class: 'meeting-when' }, formatDateTime(meeting.starts_at)),
        where ? h('span', { class: 'meeting-where' }, where) : null,
        h(
          'span',
          { class: 'meeting-tags' },
          meeting.status ? h('span', { class: `tag status-${meeting.status}`, 'data-status': meeting.status }, label('status', meeting.status)) : null,
          meeting.role ? h('span', { class: 'tag' }, t('meetings.role', { role: label('role', meeting.role) })) : null,
        ),
      ),
      hits?.length ? h('ul', { class: 'hits' }, hits.map(hitLine)) : null,
      invitationOf(meeting),
      mayRecord(meeting) || mayPrepare(meeting)
        ? h(
            'div',
            { class: 'meeting-links' },
            mayRecord(meeting)
              ? h('a', { class: 'button', href: `#/minutes/${encodeURIComponent(meeting.id)}`, 'data-key': `record-${meeting.id}` }, t('record.link'))
              : null,
            mayPrepare(meeting)
              ? h('a', { class: 'button prepare-link', href: `#/prepare/${encodeURIComponent(meeting.id)}`, 'data-key': `prepare-${meeting.id}` }, t('prepare.link'))
              : null,
          )
        : null,
    )
  }

  // An invitation waiting for an answer is answered right here.
  function invitationOf(meeting) {
    if (meeting.status !== 'invited' || !meeting.my_answer) return null
    let part = invitations.get(meeting.id)
    if (!part) {
      part = createInvitation({ meetingId: meeting.id, unauthorized: ctx.unauthorized, onAnswered: (p) => { meeting.my_answer = p } })
      invitations.set(meeting.id, part)
      part.set({ answer: meeting.my_answer, status: meeting.status, role: meeting.role, pdf: meeting.invitation_pdf })
    }
    return part.el
  }

  function section(key, titleKey, meetings, emptyKey) {
    return h(
      'section',
      { class: 'meeting-section', 'aria-labelledby': `list-${key}`, 'data-section': key },
      h('h2', { id: `list-${key}` }, t(titleKey, { count: meetings.length })),
      meetings.length ? h('ul', { class: 'meeting-list' }, meetings.map((m) => card(m))) : h('p', { class: 'meta' }, t(emptyKey)),
    )
  }

  function results() {
    if (state.searching) return h('p', { role: 'status' }, t('search.searching'))
    if (state.searchError) return h('p', { class: 'error', role: 'alert' }, errorMessage(state.searchError))
    const known = new Map((state.meetings ?? []).map((m) => [String(m.id), m]))
    const found = (state.hits ?? []).map((g) => ({ meeting: known.get(String(g.meetingId)) ?? { id: g.meetingId, title: g.hits[0]?.title ?? '' }, hits: g.hits }))
    return h(
      'section',
      { class: 'meeting-section', 'aria-labelledby': 'list-found', 'data-section': 'found' },
      h('h2', { id: 'list-found' }, t('meetings.found', { count: found.length, query: state.query })),
      found.length ? h('ul', { class: 'meeting-list' }, found.map(({ meeting, hits }) => card(meeting, hits))) : h('p', { class: 'meta' }, t('meetings.notFound')),
    )
  }

  function body() {
    if (state.error) {
      return [
        h('p', { class: 'error', role: 'alert' }, errorMessage(state.error)),
        h('button', { type: 'button', 'data-key': 'retry', onclick: load }, t('app.retry')),
      ]
    }
    if (state.meetings === null) return h('p', { role: 'status' }, t('app.loading'))
    if (state.query) return results()
    if (state.meetings.length === 0) return h('p', {}, t('meetings.empty'))
    const upcoming = state.meetings.filter((m) => !isPast(m)).sort((a, b) => time(a) - time(b))
    const past = state.meetings.filter(isPast).sort((a, b) => time(b) - time(a))
    return [
      section('upcoming', 'meetings.upcoming', upcoming, 'meetings.noUpcoming'),
      past.length ? section('past', 'meetings.past', past, 'meetings.noPast') : null,
    ]
  }

  function searchForm() {
    return h(
      'form',
      { class: 'meeting-search', role: 'search', onsubmit: find },
      h(
        'div',
        { class: 'field grow' },
        h('label', { for: 'meeting-search' }, t('meetings.search')),
        h('div', { class: 'row tight' }, query, h('button', { type: 'submit', 'data-key': 'meeting-search-go' }, t('search.go')), state.query ? h('button', { type: 'button', 'data-key': 'meeting-search-clear', onclick: clearSearch }, t('meetings.clearSearch')) : null),
        h('p', { id: 'meeting-search-hint', class: 'meta small' }, t('meetings.searchHint')),
      ),
    )
  }

  function render() {
    document.title = `${t('meetings.title')} – ${t('app.name')}`
    replaceContent(
      root,
      h(
        'div',
        { class: 'title-row' },
        h('h1', {}, t('meetings.title')),
        ctx.user?.can_prepare || ctx.user?.is_admin
          ? h('a', { class: 'button primary-link', href: '#/prepare/new', 'data-key': 'new-meeting' }, t('prepare.newMeeting'))
          : null,
      ),
      state.meetings?.length || state.query ? searchForm() : null,
      body(),
    )
  }

  const offLang = onLangChange(() => {
    for (const part of invitations.values()) part.render()
    render()
  })
  load()
  return {
    destroy() {
      alive = false
      offLang()
    },
  }
}
