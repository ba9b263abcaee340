// A member's answer to a request for written opinions: for each question
// agree / disagree / other opinion, with a comment; sent once, changed until
// the deadline, read-only after it.

import { h, replaceContent } from '../../../shared/dom.js'
import { answerOpinion } from '../../../shared/api.js'
import { t, errorMessage } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'

const CHOICES = ['agree', 'disagree', 'other']

export function createAnswerForm({ id, unauthorized, onSaved }) {
  const state = { opinion: null, draft: new Map(), error: null, notice: null, busy: false }
  const el = h('section', { class: 'panel opinion-answer', 'aria-labelledby': 'o-answer', 'data-part': 'opinion-answer' })

  function set(opinion) {
    state.opinion = opinion
    state.draft = new Map()
    for (const a of opinion?.my_answer ?? []) state.draft.set(a.question_id, { choice: a.choice, comment: a.comment })
    render()
  }

  async function submit(e) {
    e.preventDefault()
    state.busy = true
    state.error = null
    render()
    try {
      const answers = state.opinion.questions.map((q) => ({ question_id: q.id, choice: state.draft.get(q.id)?.choice ?? '', comment: state.draft.get(q.id)?.comment ?? '' }))
      const result = await answerOpinion(id, answers)
      state.notice = result.changed ? t('opinions.answerChanged') : t('opinions.answerSent')
      state.busy = false
      await onSaved()
      return
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.error = err
    }
    state.busy = false
    render()
  }

  function question(q, n, editable) {
    const current = state.draft.get(q.id) ?? { choice: '', comment: '' }
    const pick = (choice) => {
      state.draft.set(q.id, { ...current, choice })
      render()
    }
    const commentId = `o-comment-${q.id}`
    return h(
      'fieldset',
      { class: 'opinion-question', 'data-question': q.id },
      h('legend', {}, `${n}. ${q.text}`),
      h(
        'div',
        { class: 'choice-row', role: 'radiogroup' },
        CHOICES.map((choice) => {
          const inputId = `o-${q.id}-${choice}`
          return h(
            'label',
            { class: `choice ${current.choice === choice ? 'on' : ''}`, for: inputId },
            h('input', { type: 'radio', id: inputId, name: `o-${q.id}`, 'data-key': inputId, value: choice, checked: current.choice === choice, disabled: !editable, onchange: () => pick(choice) }),
            ' ',
            t(`opinions.choice.${choice}`),
          )
        }),
      ),
      h('label', { for: commentId, class: 'meta small' }, current.choice === 'other' ? t('opinions.commentRequired') : t('opinions.comment')),
      h('textarea', { id: commentId, 'data-key': commentId, rows: 2, maxlength: 2000, disabled: !editable, value: current.comment, oninput: (e) => state.draft.set(q.id, { ...(state.draft.get(q.id) ?? { choice: '' }), comment: e.target.value }) }),
    )
  }

  function render() {
    const o = state.opinion
    if (!o) return replaceContent(el)
    const mine = o.my_answer ?? []
    const editable = !!o.accepting
    const when = mine.length ? mine.map((a) => a.at).sort().at(-1) : null
    replaceContent(
      el,
      h('h2', { id: 'o-answer' }, t('opinions.yourAnswer')),
      h('p', { class: 'meta', 'data-answered': mine.length ? 'yes' : 'no' }, mine.length ? t('opinions.answeredAt', { at: formatDateTime(when) }) : editable ? t('opinions.notAnswered') : t('opinions.notAnsweredClosed')),
      h(
        'form',
        { onsubmit: submit },
        o.questions.map((q, i) => question(q, i + 1, editable)),
        state.error ? h('p', { class: 'error', role: 'alert' }, errorMessage(state.error)) : null,
        state.notice ? h('p', { class: 'ok-text', role: 'status' }, state.notice) : null,
        editable ? h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary', 'data-key': 'o-send-answer', disabled: state.busy }, mine.length ? t('opinions.changeAnswer') : t('opinions.sendAnswer'))) : h('p', { class: 'meta' }, t('opinions.closedNote')),
      ),
    )
  }

  return { el, set, render }
}
