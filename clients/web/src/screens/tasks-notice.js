// Tasks from a conclusion notice: the numbered paragraphs the server read
// from it, each with the unit and the deadline found in its text, for the
// office to check, adjust, add to and assign in one go.
//   #/tasks/meeting/ID
// Those who may not assign (403) see the meeting's tasks on the board instead.

import { h, replaceContent } from '../../../shared/dom.js'
import { proposedTasks, createTasksFromNotice } from '../../../shared/api.js'
import { t, onLangChange } from '../../../shared/i18n/index.js'
import { adminError, noticeLine } from '../parts/admin-common.js'
import { personPicker } from './tasks.js'

export function mountTasksFromNotice(root, meetingId, ctx) {
  const state = { data: null, rows: [], error: null, notice: null, busy: false }
  const el = h('div', { class: 'tasks-notice' })
  // The directory of people answers the body's admins and preparers only.
  const canFind = Boolean(ctx.user?.is_admin || ctx.user?.can_prepare)
  // Kept, and changed in place: a change event (a field left by clicking the
  // button) must not replace the button under the click.
  const submitButton = h('button', { type: 'submit', class: 'primary', 'data-key': 'tasks-create' })

  function updateButton() {
    const count = state.rows.filter((r) => !r.created && r.include.checked).length
    submitButton.disabled = state.busy || !count
    submitButton.textContent = t('tasks.create', { count })
  }

  function row(item, n) {
    const key = `item-${n}`
    const created = Boolean(item.created)
    const r = {
      item_no: item.item_no || String(n + 1),
      created,
      include: h('input', { type: 'checkbox', id: `${key}-include`, 'data-key': `${key}-include`, checked: !created, disabled: created }),
      title: h('textarea', { id: `${key}-title`, 'data-key': `${key}-title`, rows: 3, maxlength: 2000, disabled: created }),
      unit: h('select', { id: `${key}-unit`, 'data-key': `${key}-unit`, disabled: created }),
      deadline: h('input', { id: `${key}-deadline`, 'data-key': `${key}-deadline`, type: 'date', value: item.deadline ?? '', disabled: created }),
      person: personPicker(`${key}-person`, ctx),
    }
    r.person.q.disabled = r.person.select.disabled = created
    r.title.value = item.title ?? ''
    r.unit.replaceChildren(h('option', { value: '' }, t('tasks.noUnit')), ...state.data.units.map((u) => h('option', { value: String(u.id) }, u.name)))
    r.unit.value = item.unit_id ? String(item.unit_id) : ''
    return r
  }

  async function load() {
    try {
      state.data = await proposedTasks(meetingId)
      state.rows = state.data.items.map(row)
      state.error = null
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      if (err.status === 403) {
        location.replace(`#/tasks?meeting=${encodeURIComponent(meetingId)}`)
        return
      }
      state.error = adminError(err)
    }
    render()
  }

  function addRow() {
    state.rows.push(row({ item_no: String(state.rows.length + 1), title: '', deadline: '' }, state.rows.length))
    render()
    state.rows.at(-1).title.focus()
  }

  async function create(e) {
    e.preventDefault()
    const chosen = state.rows.filter((r) => !r.created && r.include.checked)
    if (!chosen.length) return
    if (chosen.some((r) => !r.title.value.trim() || !(r.unit.value || r.person.select.value))) {
      state.notice = { kind: 'error', text: t('tasks.needUnit') }
      return render()
    }
    const tasks = chosen.map((r) => {
      const task = { item_no: r.item_no, title: r.title.value.trim() }
      if (r.unit.value) task.unit_id = Number(r.unit.value)
      if (r.person.select.value) task.assignee_id = Number(r.person.select.value)
      if (r.deadline.value) task.deadline = r.deadline.value
      return task
    })
    state.busy = true
    render()
    try {
      await createTasksFromNotice(meetingId, tasks)
      location.hash = `#/tasks?meeting=${encodeURIComponent(meetingId)}`
      return
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: adminError(err) }
    }
    state.busy = false
    render()
  }

  function item(r) {
    return h(
      'li',
      { class: `task-item${r.created ? ' created' : ''}`, 'data-item': r.item_no },
      h('div', { class: 'row' }, h('label', { class: 'check' }, r.include, ` ${t('tasks.item', { no: r.item_no })}`), r.created ? h('span', { class: 'tag' }, t('tasks.already')) : null),
      h('div', { class: 'field' }, h('label', { for: r.title.id }, t('tasks.field.title')), r.title),
      h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: r.unit.id }, t('tasks.field.unit')), r.unit), h('div', { class: 'field' }, h('label', { for: r.deadline.id }, t('tasks.field.deadline')), r.deadline)),
      canFind ? h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: r.person.q.id }, t('tasks.field.personQ')), r.person.q), h('div', { class: 'field' }, h('label', { for: r.person.select.id }, t('tasks.field.person')), r.person.select)) : null,
    )
  }

  function render() {
    document.title = `${t('tasks.fromNotice')} – ${t('app.name')}`
    const data = state.data
    updateButton()
    replaceContent(
      el,
      h('p', {}, h('a', { href: `#/minutes/${encodeURIComponent(meetingId)}` }, t('record.title')), ' · ', h('a', { href: '#/tasks' }, t('tasks.title'))),
      h('h1', {}, t('tasks.fromNotice')),
      state.error ? h('p', { class: 'error', role: 'alert' }, state.error) : null,
      !data && !state.error ? h('p', { role: 'status' }, t('app.loading')) : null,
      data ? h('p', { class: 'meta' }, t('tasks.noticeHint')) : null,
      data ? h('details', { class: 'panel notice-text' }, h('summary', {}, t('tasks.noticeText')), h('pre', { class: 'notice-pre' }, data.notice_text)) : null,
      data && !data.items.length ? h('p', { class: 'callout warn' }, t('tasks.noItems')) : null,
      data
        ? h(
            'form',
            { class: 'prep-form', onsubmit: create, onchange: updateButton, novalidate: true },
            h('ol', { class: 'task-items' }, state.rows.map(item)),
            h('div', { class: 'row' }, h('button', { type: 'button', 'data-key': 'tasks-add-row', onclick: addRow }, t('tasks.addRow')), submitButton),
          )
        : null,
      noticeLine(state.notice),
    )
  }

  root.replaceChildren(el)
  render()
  load()
  const unsubscribe = onLangChange(render)
  return {
    destroy() {
      unsubscribe()
      state.rows.forEach((r) => r.person.destroy())
    },
  }
}
