// The office prepares a request for written opinions: title, what it is
// about, the questions (one per line), the members asked and the chair.
// Documents are added on the request's own page, before it goes out.

import { h, replaceContent } from '../../../shared/dom.js'
import { createOpinion, listBodyPeople } from '../../../shared/api.js'
import { t, errorMessage } from '../../../shared/i18n/index.js'

export function createOpinionForm({ unauthorized, onCreated }) {
  const state = { people: null, chosen: new Set(), error: null, busy: false, filter: '' }
  const el = h('form', { class: 'panel opinion-form', 'data-part': 'opinion-new', onsubmit: submit })
  const title = h('input', { id: 'o-title', 'data-key': 'o-title', maxlength: 300, required: true })
  const description = h('textarea', { id: 'o-desc', 'data-key': 'o-desc', rows: 3, maxlength: 5000 })
  const questions = h('textarea', { id: 'o-questions', 'data-key': 'o-questions', rows: 4, 'aria-describedby': 'o-questions-hint' })
  const chair = h('select', { id: 'o-chair', 'data-key': 'o-chair' })
  const filter = h('input', { id: 'o-filter', 'data-key': 'o-filter', type: 'search', autocomplete: 'off', oninput: () => { state.filter = filter.value.trim().toLowerCase(); render() } })

  async function load() {
    try {
      const data = await listBodyPeople()
      state.people = (data.users ?? []).filter((u) => u.room_id === null || u.room_id === undefined)
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.error = err
    }
    render()
  }

  async function submit(e) {
    e.preventDefault()
    state.busy = true
    state.error = null
    render()
    try {
      const lines = questions.value.split('\n').map((q) => q.trim()).filter(Boolean)
      const data = await createOpinion({
        title: title.value.trim(),
        description: description.value.trim(),
        questions: lines,
        members: [...state.chosen],
        chair_id: chair.value ? Number(chair.value) : null,
      })
      onCreated(data.opinion.id)
      return
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.error = err
    }
    state.busy = false
    render()
  }

  function person(u) {
    const id = `o-member-${u.id}`
    return h(
      'li',
      {},
      h('input', { type: 'checkbox', id, 'data-key': id, checked: state.chosen.has(u.id), onchange: (e) => { e.target.checked ? state.chosen.add(u.id) : state.chosen.delete(u.id); render() } }),
      ' ',
      h('label', { for: id }, u.full_name, u.title ? h('span', { class: 'meta' }, ` · ${u.title}`) : null),
    )
  }

  function render() {
    const people = state.people ?? []
    const shown = people.filter((u) => !state.filter || `${u.full_name} ${u.title ?? ''} ${u.username}`.toLowerCase().includes(state.filter))
    const current = chair.value
    replaceContent(chair, h('option', { value: '' }, t('opinions.noChair')), people.map((u) => h('option', { value: u.id, selected: String(u.id) === current }, u.full_name)))
    replaceContent(
      el,
      h('div', { class: 'field' }, h('label', { for: 'o-title' }, t('opinions.fieldTitle')), title),
      h('div', { class: 'field' }, h('label', { for: 'o-desc' }, t('opinions.fieldDescription')), description),
      h('div', { class: 'field' }, h('label', { for: 'o-questions' }, t('opinions.fieldQuestions')), questions, h('p', { id: 'o-questions-hint', class: 'meta small' }, t('opinions.questionsHint'))),
      h('div', { class: 'field' }, h('label', { for: 'o-chair' }, t('opinions.fieldChair')), chair),
      h(
        'fieldset',
        { class: 'field opinion-members' },
        h('legend', {}, t('opinions.fieldMembers', { count: state.chosen.size })),
        h('label', { for: 'o-filter', class: 'meta small' }, t('opinions.filterPeople')),
        filter,
        state.people === null ? h('p', { role: 'status' }, t('app.loading')) : h('ul', { class: 'plain-list' }, shown.map(person)),
      ),
      state.error ? h('p', { class: 'error', role: 'alert' }, errorMessage(state.error)) : null,
      h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary', 'data-key': 'o-create', disabled: state.busy }, t('opinions.create'))),
    )
  }

  load()
  return { el, render }
}
