// Documents of a meeting being prepared: upload (the file is the request
// body), the server's errors in the reader's language, delete, and who
// opened what.

import { signatureSummary } from '../../../shared/signatures.js'
import { h, replaceContent } from '../../../shared/dom.js'
import { uploadDocument, removeDocument, documentOpens } from '../../../shared/api.js'
import { t, has, getLang, errorMessage, label } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'
import { createAttach } from './prep-attach.js'

const CONFIDENTIALITY = ['public', 'internal', 'confidential']
// The server takes documents until the meeting ends (domain/lifecycle.py).
const DOCUMENTS_OPEN = new Set(['draft', 'invited', 'in_session'])

/** Upload refusals carry a precise message (corrupt PDF, too many pages ...): show it. */
export function serverError(err) {
  const own = getLang() === 'vi' ? err?.serverMessage : err?.serverMessageEn
  return own || errorMessage(err)
}

export function createDocumentsEditor({ meetingId, reload, unauthorized }) {
  const state = { meeting: null, editable: false, busy: false, notice: null, warnings: [], opens: new Map() }
  const el = h('section', { class: 'panel', 'aria-labelledby': 'p-docs' })
  // The browser's own file control speaks the browser's language ("Choose
  // File"): it stays hidden behind a button and a name in ours.
  const file = h('input', {
    id: 'd-file',
    'data-key': 'd-file',
    type: 'file',
    class: 'file-input',
    'aria-describedby': 'd-file-name d-file-hint',
    accept: '.pdf,.doc,.docx,.odt,.xls,.xlsx,.ppt,.pptx',
    onchange: () => render(),
  })
  const title = h('input', { id: 'd-title', 'data-key': 'd-title', maxlength: 300 })
  const conf = h('select', { id: 'd-conf', 'data-key': 'd-conf' })
  const item = h('select', { id: 'd-item', 'data-key': 'd-item' })
  const attach = createAttach({ meetingId, reload, unauthorized, agendaItem: () => item.value })

  async function upload(e) {
    e.preventDefault()
    const chosen = file.files?.[0]
    if (!chosen) {
      state.notice = { kind: 'error', text: t('docs.chooseFile') }
      render()
      file.focus()
      return
    }
    state.busy = true
    state.notice = { kind: 'ok', text: t('docs.uploading', { name: chosen.name }) }
    state.warnings = []
    render()
    try {
      const params = { title: title.value.trim() || undefined, confidentiality: conf.value }
      if (item.value) params.agenda_item = item.value
      const result = await uploadDocument(meetingId, chosen, params)
      state.notice = { kind: 'ok', text: t('docs.uploaded', { title: result.document?.title ?? chosen.name, pages: result.document?.page_count ?? '?' }) }
      state.warnings = result.warnings ?? []
      file.value = ''
      title.value = ''
      await reload()
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.notice = { kind: 'error', text: serverError(err) }
    }
    state.busy = false
    render()
  }

  async function toggleOpens(doc) {
    if (state.opens.has(doc.id)) {
      state.opens.delete(doc.id)
      render()
      return
    }
    state.opens.set(doc.id, null)
    render()
    try {
      state.opens.set(doc.id, (await documentOpens(doc.id)).opens ?? [])
    } catch (err) {
      state.opens.set(doc.id, { error: serverError(err) })
    }
    render()
  }

  async function remove(doc) {
    state.notice = null
    try {
      await removeDocument(doc.id)
      state.notice = { kind: 'ok', text: t('docs.removed', { title: doc.title }) }
      await reload()
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.notice = { kind: 'error', text: serverError(err) }
    }
    render()
  }

  function opensView(doc) {
    const opens = state.opens.get(doc.id)
    if (opens === null) return h('p', { role: 'status' }, t('app.loading'))
    if (opens.error) return h('p', { class: 'error' }, opens.error)
    if (!opens.length) return h('p', { class: 'meta' }, t('docs.noOpens'))
    return h(
      'table',
      { class: 'people' },
      h('thead', {}, h('tr', {}, ['docs.who', 'docs.unit', 'docs.first', 'docs.last', 'docs.views'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, opens.map((o) => h('tr', {}, h('th', { scope: 'row' }, o.full_name), h('td', {}, o.unit ?? ''), h('td', {}, formatDateTime(o.first_at)), h('td', {}, formatDateTime(o.last_at)), h('td', {}, String(o.page_views))))),
    )
  }

  function render() {
    const m = state.meeting
    const docs = m?.documents ?? []
    const open = !m || DOCUMENTS_OPEN.has(m.status)
    const chosen = file.files?.[0]
    conf.replaceChildren(...CONFIDENTIALITY.map((c) => h('option', { value: c, selected: c === (conf.value || m?.confidentiality || 'internal') }, label('confidentiality', c))))
    item.replaceChildren(h('option', { value: '' }, t('docs.noItem')), ...(m?.agenda ?? []).map((a, i) => h('option', { value: String(a.id), selected: String(a.id) === item.value }, `${i + 1}. ${a.title}`)))
    replaceContent(
      el,
      h('h2', { id: 'p-docs' }, t('docs.title')),
      docs.length
        ? h(
            'ul',
            { class: 'edit-list' },
            docs.map((d) =>
              h(
                'li',
                { 'data-document': d.id },
                h(
                  'div',
                  { class: 'grow' },
                  h('strong', {}, d.title),
                  h('p', { class: 'meta' }, [t('docs.pages', { count: d.page_count ?? '?' }), label('confidentiality', d.confidentiality), d.original_name].filter(Boolean).join(' · ')),
                  signatureSummary(d),
                  state.opens.has(d.id) ? opensView(d) : null,
                ),
                h(
                  'div',
                  { class: 'actions' },
                  h('button', { type: 'button', 'data-key': `opens-${d.id}`, 'aria-expanded': String(state.opens.has(d.id)), onclick: () => toggleOpens(d) }, t('docs.opens')),
                  state.editable ? h('button', { type: 'button', class: 'danger', 'data-key': `d-del-${d.id}`, onclick: () => remove(d) }, t('annotate.delete')) : null,
                ),
              ),
            ),
          )
        : h('p', { class: 'meta' }, t('present.noDocuments')),
      open ? null : h('p', { class: 'meta', 'data-key': 'd-closed' }, t('docs.closed')),
      h(
        'form',
        { class: 'upload', onsubmit: upload, hidden: !open },
        h('h3', {}, t('docs.upload')),
        h(
          'div',
          { class: 'field' },
          h('span', { class: 'label' }, t('docs.file')),
          h(
            'div',
            { class: 'file-pick' },
            file,
            h('label', { for: 'd-file', class: 'button', 'data-key': 'd-file-button' }, t('docs.pick')),
            h('span', { id: 'd-file-name', class: chosen ? 'file-name' : 'file-name meta', 'data-key': 'd-file-name' }, chosen ? chosen.name : t('docs.noFile')),
          ),
          h('p', { class: 'meta small', id: 'd-file-hint' }, t('docs.fileHint')),
        ),
        h('div', { class: 'field' }, h('label', { for: 'd-title' }, t('docs.docTitle')), title),
        h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: 'd-conf' }, t('prepare.confidentiality')), conf), h('div', { class: 'field' }, h('label', { for: 'd-item' }, t('docs.item')), item)),
        h('button', { type: 'submit', class: 'primary', 'data-key': 'd-upload', disabled: state.busy }, state.busy ? t('docs.uploadingShort') : t('docs.uploadButton')),
      ),
      h(
        'div',
        { 'aria-live': 'polite' },
        state.notice ? h('p', { class: state.notice.kind === 'error' ? 'error upload-error' : 'ok-text' }, state.notice.text) : null,
        state.warnings.map((w) => h('p', { class: 'callout warn', 'data-warning': w.code }, has(`warning.${w.code}`) ? t(`warning.${w.code}`, { days: w.working_days ?? '' }) : w.message)),
      ),
      state.editable ? attach.el : null,
    )
  }

  return {
    el,
    render() {
      render()
      attach.render()
    },
    setMeeting(meeting, editable) {
      state.meeting = meeting
      state.editable = editable
      render()
    },
  }
}
