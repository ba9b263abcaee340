// Reusing and keeping a meeting: "Sao chép làm mẫu" (a new draft with the
// same agenda, people and settings), and the whole record as a zip.

import { h, replaceContent } from '../../../shared/dom.js'
import { copyMeeting, exportZipUrl } from '../../../shared/api.js'
import { t } from '../../../shared/i18n/index.js'
import { fromFields, timeField } from '../../../shared/time.js'
import { serverError } from './prep-documents.js'

/** Whether the user may copy meetings of their body (preparers and admins). */
export const mayCopy = (user) => Boolean(user?.can_prepare || user?.is_admin)

/** Whether the user may take the meeting's record (secretary, chair, body admin). */
export const mayExport = (meeting) => ['secretary', 'chair'].includes(meeting?.role) || Boolean(meeting?.can_prepare)

/** The "download the record" link. */
export const exportLink = (meetingId) =>
  h('a', { class: 'button', href: exportZipUrl(meetingId), download: '', 'data-key': 'export-zip' }, t('reuse.export'))

/**
 * A disclosure with the copy form: title, date, time; on success the new
 * draft opens for preparation.
 */
export function createCopyForm({ meeting, unauthorized }) {
  const state = { notice: null, busy: false }
  const title = h('input', { id: 'copy-title', 'data-key': 'copy-title', required: true, maxlength: 300, value: meeting.title ?? '' })
  const date = h('input', { id: 'copy-date', 'data-key': 'copy-date', required: true, inputmode: 'numeric', placeholder: 'dd/mm/yyyy', autocomplete: 'off', size: 10, 'aria-describedby': 'copy-date-hint' })
  const time = h('input', { id: 'copy-time', 'data-key': 'copy-time', required: true, inputmode: 'numeric', placeholder: 'hh:mm', autocomplete: 'off', size: 5, value: timeField(meeting.starts_at) })
  const status = h('div', { 'aria-live': 'polite' })
  const submit = h('button', { type: 'submit', class: 'primary', 'data-key': 'copy-create' })
  const summary = h('summary', { 'data-key': 'copy-open' })
  const form = h('form', { class: 'prep-form', onsubmit: save, novalidate: true })
  const el = h('details', { class: 'copy-meeting' }, summary, form)

  function render() {
    summary.textContent = t('reuse.copy')
    submit.textContent = t('reuse.copyCreate')
    replaceContent(
      form,
      h('p', { class: 'meta small' }, t('reuse.copyHint')),
      h('div', { class: 'field' }, h('label', { for: 'copy-title' }, t('reuse.copyTitle')), title),
      h(
        'div',
        { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: 'copy-date' }, t('prepare.date')), date, h('p', { id: 'copy-date-hint', class: 'meta small' }, t('prepare.dateHint'))),
        h('div', { class: 'field' }, h('label', { for: 'copy-time' }, t('prepare.startsAt')), time, h('p', { class: 'meta small' }, t('prepare.timeHint'))),
      ),
      status,
      submit,
    )
  }

  function renderStatus() {
    submit.disabled = state.busy
    replaceContent(status, state.notice ? h('p', { class: state.notice.kind === 'error' ? 'error' : 'ok-text', role: state.notice.kind === 'error' ? 'alert' : 'status' }, state.notice.text) : null)
  }

  async function save(e) {
    e.preventDefault()
    const starts = fromFields(date.value, time.value)
    if (!title.value.trim() || !starts) {
      state.notice = { kind: 'error', text: t('prepare.required') }
      renderStatus()
      ;(!title.value.trim() ? title : date).focus()
      return
    }
    state.busy = true
    state.notice = { kind: 'ok', text: t('meeting.sending') }
    renderStatus()
    try {
      const result = await copyMeeting(meeting.id, { title: title.value.trim(), starts_at: starts })
      location.hash = `#/prepare/${encodeURIComponent(result.meeting.id)}`
      return
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.notice = { kind: 'error', text: serverError(err) }
    }
    state.busy = false
    renderStatus()
  }

  render()
  return { el, render }
}
