// The office's side of a request for written opinions: documents and
// sending while a draft; the answers as they come, the reminders due and the
// summary (drafted from the answers, edited, issued) while open; the issued
// summary and its PDF for everyone who sees the request.

import { h, replaceContent } from '../../../shared/dom.js'
import { uploadOpinionDocument, sendOpinion, opinionSummary, saveOpinionSummary, issueOpinionSummary } from '../../../shared/api.js'
import { t, errorMessage } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'

export function createOfficePanel({ id, unauthorized, onChanged }) {
  const state = { opinion: null, summary: null, error: null, notice: null, busy: false }
  const el = h('section', { class: 'panel opinion-office', 'aria-labelledby': 'o-office', 'data-part': 'opinion-office' })
  const file = h('input', { id: 'o-file', 'data-key': 'o-file', type: 'file', accept: '.pdf,.doc,.docx,.odt,.xls,.xlsx' })
  const days = h('input', { id: 'o-days', 'data-key': 'o-days', type: 'number', min: 1, max: 30, value: '3', inputmode: 'numeric' })
  const number = h('input', { id: 'o-number', 'data-key': 'o-number', maxlength: 60 })
  const text = h('textarea', { id: 'o-summary', 'data-key': 'o-summary', rows: 14 })

  async function act(fn, done) {
    state.busy = true
    state.error = null
    state.notice = null
    render()
    try {
      await fn()
      state.notice = done
      state.busy = false
      await onChanged()
      return
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.error = err
    }
    state.busy = false
    render()
  }

  async function loadSummary() {
    const o = state.opinion
    if (!o || o.status === 'draft' || !(o.you.office || o.you.chair || o.status === 'issued')) return
    try {
      state.summary = await opinionSummary(id)
      if (state.summary.status === 'draft') {
        text.value = state.summary.text
        number.value = state.summary.number ?? ''
      }
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.error = err
    }
    render()
  }

  function set(opinion) {
    const statusChanged = state.opinion?.status !== opinion?.status
    state.opinion = opinion
    if (statusChanged || !state.summary) loadSummary()
    render()
  }

  function upload() {
    const chosen = file.files?.[0]
    if (!chosen) {
      state.error = null
      state.notice = t('docs.chooseFile')
      render()
      return file.focus()
    }
    act(async () => {
      await uploadOpinionDocument(id, chosen, {})
      file.value = ''
    }, t('opinions.uploaded'))
  }

  function draftTools(o) {
    return [
      h('h3', {}, t('opinions.addDocument')),
      h('div', { class: 'row tight wrap' }, h('label', { for: 'o-file', class: 'visually-hidden' }, t('opinions.addDocument')), file, h('button', { type: 'button', 'data-key': 'o-upload', disabled: state.busy, onclick: upload }, t('opinions.upload'))),
      h('h3', {}, t('opinions.sendTitle')),
      h('div', { class: 'row tight wrap' }, h('label', { for: 'o-days' }, t('opinions.workingDays')), days, h('button', { type: 'button', class: 'primary', 'data-key': 'o-send', disabled: state.busy || !o.questions.length, onclick: () => act(() => sendOpinion(id, Number(days.value)), t('opinions.sent')) }, t('opinions.send'))),
    ]
  }

  function choiceOf(o, questionId, userId) {
    return (o.answers ?? []).find((a) => a.question_id === questionId && a.user_id === userId)
  }

  function answers(o) {
    if (!o.answers) return null
    return [
      h('h3', {}, t('opinions.answers', { answered: o.members.filter((m) => m.answered).length, asked: o.members.length })),
      o.questions.map((q, n) => {
        const tally = o.tally?.[String(q.id)]
        return h(
          'div',
          { class: 'opinion-tally', 'data-question': q.id },
          h('p', {}, h('strong', {}, `${n + 1}. ${q.text}`)),
          tally ? h('p', { class: 'meta', 'data-passed': String(tally.passed) }, t('opinions.tally', tally), ' ', h('span', { class: `tag ${tally.passed ? 'passed' : 'rejected'}` }, tally.passed ? t('opinions.passed') : t('opinions.notPassed'))) : null,
          h(
            'ul',
            { class: 'plain-list' },
            o.members.map((m) => {
              const a = choiceOf(o, q.id, m.id)
              return h('li', { 'data-member': m.id }, h('strong', {}, m.full_name), ': ', a ? t(`opinions.choice.${a.choice}`) : h('em', {}, t('opinions.silent')), a?.comment ? ` – ${a.comment}` : '')
            }),
          ),
        )
      }),
    ]
  }

  function reminders(o) {
    if (!o.reminders?.length) return null
    const name = (uid) => o.members.find((m) => m.id === uid)?.full_name ?? uid
    return [h('h3', {}, t('opinions.reminders')), h('p', { class: 'meta small' }, t('opinions.remindersNote')), h('ul', { class: 'plain-list', 'data-part': 'reminders' }, o.reminders.map((r) => h('li', {}, t('opinions.reminderLine', { name: name(r.user_id), at: formatDateTime(r.at) }))))]
  }

  function summary(o) {
    const s = state.summary
    if (!s) return null
    if (s.status === 'issued') {
      return [
        h('h3', {}, t('opinions.summaryIssued')),
        h('p', {}, h('a', { class: 'button', href: s.pdf, download: '', 'data-key': 'o-pdf' }, t('opinions.downloadPdf'))),
        h('pre', { class: 'opinion-summary-text' }, s.text),
      ]
    }
    const editable = o.you.office
    text.disabled = !editable
    number.disabled = !editable
    return [
      h('h3', {}, t('opinions.summaryTitle')),
      h('p', { class: 'meta small' }, s.saved ? t('opinions.summarySaved') : t('opinions.summaryDrafted')),
      h('div', { class: 'field' }, h('label', { for: 'o-number' }, t('opinions.number')), number),
      h('div', { class: 'field' }, h('label', { for: 'o-summary' }, t('opinions.summaryText')), text),
      editable
        ? h(
            'div',
            { class: 'row tight wrap' },
            h('button', { type: 'button', 'data-key': 'o-save', disabled: state.busy, onclick: () => act(async () => { await saveOpinionSummary(id, { text: text.value, number: number.value }); state.summary = null }, t('opinions.saved')) }, t('opinions.save')),
            h('button', { type: 'button', class: 'primary', 'data-key': 'o-issue', disabled: state.busy, onclick: () => act(() => issueOpinionSummary(id, { text: text.value, number: number.value }), t('opinions.issued')) }, t('opinions.issue')),
          )
        : null,
    ]
  }

  function render() {
    const o = state.opinion
    if (!o) return replaceContent(el)
    replaceContent(
      el,
      h('h2', { id: 'o-office' }, o.you.office ? t('opinions.officeTitle') : o.you.chair ? t('opinions.chairTitle') : t('opinions.summaryIssued')),
      o.status === 'draft' && o.you.office ? draftTools(o) : null,
      state.error ? h('p', { class: 'error', role: 'alert' }, errorMessage(state.error)) : null,
      state.notice ? h('p', { class: 'ok-text', role: 'status' }, state.notice) : null,
      o.status !== 'draft' ? summary(o) : null,
      o.you.office && o.status === 'open' ? reminders(o) : null,
      o.status !== 'draft' ? answers(o) : null,
    )
  }

  return { el, set, render }
}
