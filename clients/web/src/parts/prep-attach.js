// "Đính kèm tài liệu từ cuộc họp trước": find a document of an earlier
// meeting (GET /api/search) and attach it without uploading it again
// (POST /api/meetings/{id}/documents/attach).

import { h, replaceContent } from '../../../shared/dom.js'
import { search, attachDocument, listMeetings } from '../../../shared/api.js'
import { attachableDocuments } from '../../../shared/records.js'
import { snippetNodes } from '../../../shared/snippet.js'
import { t, has } from '../../../shared/i18n/index.js'
import { formatDate } from '../../../shared/time.js'
import { serverError } from './prep-documents.js'

/**
 * @param {{meetingId, reload: () => Promise<void>, unauthorized: () => void,
 *          agendaItem: () => string, documents: () => object[]}} options
 */
export function createAttach({ meetingId, reload, unauthorized, agendaItem }) {
  const state = { found: null, searching: false, notice: null, warnings: [], busy: null, meetings: null }
  const query = h('input', { id: 'att-q', 'data-key': 'att-q', type: 'search', autocomplete: 'off', 'aria-describedby': 'att-hint' })
  const results = h('div', { class: 'attach-results', 'aria-live': 'polite' })
  const el = h('form', { class: 'find attach', onsubmit: find, role: 'search', 'aria-labelledby': 'att-title' })

  async function meetings() {
    if (state.meetings) return state.meetings
    try {
      state.meetings = new Map(((await listMeetings()).meetings ?? []).map((m) => [String(m.id), m]))
    } catch {
      state.meetings = new Map() // titles are a nicety
    }
    return state.meetings
  }

  async function find(e) {
    e.preventDefault()
    const q = query.value.trim()
    if (!q) {
      query.focus()
      return
    }
    state.searching = true
    state.notice = null
    state.warnings = []
    render()
    try {
      const [data] = await Promise.all([search(q), meetings()])
      state.found = attachableDocuments(data.results ?? [], meetingId)
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.found = null
      state.notice = { kind: 'error', text: serverError(err) }
    }
    state.searching = false
    render()
  }

  async function attach(doc) {
    state.busy = doc.documentId
    state.notice = null
    state.warnings = []
    render()
    try {
      const body = { document_id: Number(doc.documentId) }
      const item = agendaItem?.()
      if (item) body.agenda_item = Number(item)
      const result = await attachDocument(meetingId, body)
      state.notice = { kind: 'ok', text: t('attach.done', { title: result.document?.title ?? doc.title }) }
      state.warnings = result.warnings ?? []
      state.found = (state.found ?? []).filter((d) => d.documentId !== doc.documentId)
      state.busy = null
      render()
      await reload()
      return
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.notice = { kind: 'error', text: serverError(err) }
    }
    state.busy = null
    render()
  }

  function where(doc) {
    const m = state.meetings?.get(String(doc.meetingId))
    const bits = [m ? t('attach.from', { title: m.title, date: formatDate(m.starts_at) }) : t('attach.fromId', { id: doc.meetingId })]
    if (doc.page) bits.push(t('attach.page', { page: doc.page }))
    return bits.join(' · ')
  }

  function render() {
    replaceContent(
      el,
      h('h3', { id: 'att-title' }, t('attach.title')),
      h('label', { for: 'att-q' }, t('attach.query')),
      h('div', { class: 'row tight' }, query, h('button', { type: 'submit', 'data-key': 'att-find' }, t('search.go'))),
      h('p', { id: 'att-hint', class: 'meta small' }, t('attach.hint')),
      results,
    )
    const found = state.found
    replaceContent(
      results,
      state.searching ? h('p', { role: 'status' }, t('search.searching')) : null,
      state.notice ? h('p', { class: state.notice.kind === 'error' ? 'error' : 'ok-text', role: state.notice.kind === 'error' ? 'alert' : 'status' }, state.notice.text) : null,
      state.warnings.map((w) => h('p', { class: 'callout warn', 'data-warning': w.code }, has(`warning.${w.code}`) ? t(`warning.${w.code}`, { days: w.working_days ?? '' }) : w.message)),
      found && !state.searching && found.length === 0 ? h('p', { class: 'meta' }, t('attach.none')) : null,
      found?.length
        ? h(
            'ul',
            { class: 'edit-list' },
            found.map((doc) =>
              h(
                'li',
                { 'data-attach': doc.documentId },
                h(
                  'div',
                  { class: 'grow' },
                  h('strong', {}, doc.title),
                  h('p', { class: 'meta' }, where(doc)),
                  doc.snippet ? h('p', { class: 'snippet small' }, snippetNodes(doc.snippet)) : null,
                ),
                h(
                  'button',
                  { type: 'button', 'data-key': `attach-${doc.documentId}`, disabled: state.busy !== null, 'aria-label': t('attach.buttonFor', { title: doc.title }), onclick: () => attach(doc) },
                  state.busy === doc.documentId ? t('meeting.sending') : t('attach.button'),
                ),
              ),
            ),
          )
        : null,
    )
  }

  render()
  return { el, render }
}
