// The conclusion notice (thông báo kết luận): due 5 working days after the
// meeting (Decision 45/2018/QĐ-TTg). Its deadline and what is left of it,
// with a warning when little is; the draft from the approved minutes; issuing
// it; its PDF.

import { h, replaceContent } from '../../../shared/dom.js'
import { getConclusion, issueConclusion, conclusionPdfUrl, signConclusion } from '../../../shared/api.js'
import { confirmDialog } from '../../../shared/confirm.js'
import { deadlineLevel } from '../../../shared/records.js'
import { t } from '../../../shared/i18n/index.js'
import { formatDate, formatDateTime } from '../../../shared/time.js'
import { serverError } from './prep-documents.js'
import { signatureCell } from './digital-sign.js'

/**
 * @param {{meetingId, canIssue: boolean, warn: boolean, unauthorized: () => void}} options
 *   canIssue: the secretary or the chair of an ended meeting; warn: those who
 *   write the notice (the others only read where it stands)
 */
export function createConclusion({ meetingId, canIssue, warn = canIssue, unauthorized }) {
  const state = { data: null, error: null, notice: null, busy: false, touched: false }
  const el = h('section', { class: 'panel conclusion-panel', 'aria-labelledby': 'conclusion-title' })
  const text = h('textarea', { id: 'conclusion-text', 'data-key': 'conclusion-text', class: 'conclusion-text', rows: 12, lang: 'vi', oninput: () => (state.touched = true) })
  const number = h('input', { id: 'conclusion-number', 'data-key': 'conclusion-number', maxlength: 60, autocomplete: 'off', placeholder: '20/TB-…' })

  async function load() {
    try {
      state.data = await getConclusion(meetingId)
      state.error = null
      if (!state.touched && state.data.draft) text.value = state.data.draft
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.error = err
    }
    render()
  }

  async function issue(e) {
    e.preventDefault()
    if (!text.value.trim()) {
      state.notice = { kind: 'error', text: t('conclusion.empty') }
      render()
      text.focus()
      return
    }
    // Issued is final: the person confirms, in words that say so.
    if (!(await confirmDialog({ title: t('confirm.issueTitle'), body: t('confirm.issueBody'), confirm: t('confirm.issueYes') }))) return
    state.busy = true
    state.notice = null
    render()
    const body = { text: text.value }
    if (number.value.trim()) body.number = number.value.trim()
    try {
      const result = await issueConclusion(meetingId, body)
      state.notice = { kind: 'ok', text: result.unchanged ? t('conclusion.unchanged') : t('conclusion.issuedNow', { version: result.notice?.version ?? '?' }) }
      state.touched = false
      state.busy = false
      await load()
      return
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.notice = { kind: 'error', text: serverError(err) }
    }
    state.busy = false
    render()
  }

  function deadline(data) {
    const level = deadlineLevel(data)
    const due = formatDate(data.deadline)
    if (!warn && level !== 'issued') return [h('p', {}, t('conclusion.deadline', { date: due })), h('p', { class: 'meta' }, t('conclusion.pending'))]
    const days = Math.abs(Number(data.days_left ?? 0))
    const line = {
      ok: () => h('p', { class: 'callout ok deadline', 'data-level': level }, t('conclusion.left', { days, count: days, date: due })),
      soon: () => h('p', { class: 'callout warn deadline', role: 'alert', 'data-level': level }, h('strong', {}, t('conclusion.soon', { days, count: days, date: due }))),
      today: () => h('p', { class: 'callout warn deadline', role: 'alert', 'data-level': level }, h('strong', {}, t('conclusion.today', { date: due }))),
      overdue: () => h('p', { class: 'callout bad deadline', role: 'alert', 'data-level': level }, h('strong', {}, t('conclusion.overdue', { days, count: days, date: due }))),
      issued: () => null,
    }[level]
    return [h('p', {}, t('conclusion.deadline', { date: due })), line()]
  }

  function issued(data) {
    const n = data.notice
    if (!n) return null
    return h(
      'div',
      { class: 'issued', 'data-issued': n.version },
      h(
        'p',
        { class: data.issued_on_time === false ? 'callout warn' : 'callout ok' },
        t('conclusion.issued', { version: n.version, when: formatDateTime(n.at), by: n.by?.full_name ?? '' }),
        ' ',
        data.issued_on_time === false ? t('conclusion.late') : t('conclusion.onTime'),
      ),
      h('p', {}, h('a', { href: n.pdf || conclusionPdfUrl(meetingId), download: '', 'data-key': 'conclusion-pdf' }, t('conclusion.download'))),
      signatureCell(n, { signingKey: Boolean(data.signing_key), sign: () => signConclusion(meetingId, n.version), done: load, key: `conclusion-${n.version}` }),
    )
  }

  function form(data) {
    if (!canIssue) return null
    if (!data.draft) return h('p', { class: 'meta', 'data-key': 'conclusion-wait' }, t('conclusion.needMinutes'))
    return h(
      'form',
      { class: 'prep-form conclusion-form', onsubmit: issue, novalidate: true },
      h('h3', {}, data.notice ? t('conclusion.reissue') : t('conclusion.write')),
      h('p', { class: 'meta small' }, t('conclusion.fromMinutes', { version: data.minutes_version ?? '?' })),
      h('div', { class: 'field' }, h('label', { for: 'conclusion-text' }, t('conclusion.text')), text),
      h('div', { class: 'field' }, h('label', { for: 'conclusion-number' }, t('minutes.number')), number),
      h('button', { type: 'submit', class: 'primary', 'data-key': 'conclusion-issue', disabled: state.busy }, state.busy ? t('meeting.sending') : t('conclusion.issue')),
    )
  }

  function render() {
    const data = state.data
    replaceContent(
      el,
      h('h2', { id: 'conclusion-title' }, t('conclusion.title')),
      state.error
        ? h('p', { class: state.error.status === 409 ? 'meta' : 'error', role: 'alert' }, state.error.status === 409 ? t('conclusion.notEnded') : serverError(state.error))
        : null,
      !data && !state.error ? h('p', { role: 'status' }, t('app.loading')) : null,
      data
        ? h('div', { class: 'conclusion-state', 'data-status': data.status, 'data-days-left': String(data.days_left) }, deadline(data), issued(data))
        : null,
      h('div', { 'aria-live': 'polite' }, state.notice ? h('p', { class: state.notice.kind === 'error' ? 'error' : 'ok-text', role: state.notice.kind === 'error' ? 'alert' : 'status' }, state.notice.text) : null),
      data ? form(data) : null,
    )
  }

  render()
  load()
  return { el, reload: load, render }
}
