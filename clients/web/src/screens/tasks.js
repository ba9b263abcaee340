// The task board (theo dõi nhiệm vụ): what is overdue, by unit, by meeting.
//   #/tasks[?meeting=ID&unit=NAME&status=S&q=TEXT]
// The office sees every task of the body and assigns by hand; everyone else
// their own, their unit's and those of the meetings they chair. The server
// decides who sees what (docs/tasks.md); "overdue" comes from it, read from
// the deadline and the day.

import { h, replaceContent } from '../../../shared/dom.js'
import { listTasks, createTask, listUnits, adminUsers, taskReportUrl } from '../../../shared/api.js'
import { t, onLangChange } from '../../../shared/i18n/index.js'
import { adminError, noticeLine, field } from '../parts/admin-common.js'

export const STATUS_FILTERS = ['', 'open', 'overdue', 'extension_asked', 'done']

/** dd/mm/yyyy from yyyy-mm-dd, as dates are written in Vietnam. */
export const day = (iso) => (iso ? iso.split('-').reverse().join('/') : '')

export function statusTag(task) {
  return h('span', { class: `tag task-status task-${task.shown_status}`, 'data-status': task.shown_status }, t(`tasks.status.${task.shown_status}`))
}

export function timeLeft(task) {
  if (task.days_left === null || task.days_left === undefined) return ''
  if (task.days_left > 0) return t('tasks.left', { days: task.days_left })
  if (task.days_left === 0) return task.overdue ? t('tasks.late', { days: 0 }) : t('tasks.dueToday')
  return t('tasks.late', { days: -task.days_left })
}

/**
 * A person of the body, found as the office types (GET /api/users, own body
 * only): a search box and the select of those found.
 */
export function personPicker(id, ctx) {
  let searching = null
  const select = h('select', { id, 'data-key': id }, h('option', { value: '' }, t('tasks.noPerson')))
  const q = h('input', { id: `${id}-q`, 'data-key': `${id}-q`, type: 'search', autocomplete: 'off', oninput: find })
  function find() {
    clearTimeout(searching)
    searching = setTimeout(async () => {
      const text = q.value.trim()
      try {
        const people = text ? ((await adminUsers(text)).users ?? []).filter((u) => !u.room_id) : []
        select.replaceChildren(h('option', { value: '' }, t('tasks.noPerson')), ...people.map((u) => h('option', { value: String(u.id) }, [u.full_name, u.title, u.unit].filter(Boolean).join(' – '))))
        if (people.length === 1) select.value = String(people[0].id)
      } catch (err) {
        if (err.status === 401) ctx.unauthorized()
      }
    }, 250)
  }
  return { q, select, destroy: () => clearTimeout(searching) }
}

export const responsible = (task) => [task.unit?.name, task.assignee?.full_name].filter(Boolean).join(' – ')

function filtersFromHash() {
  const q = new URLSearchParams(location.hash.split('?')[1] ?? '')
  return { meeting: q.get('meeting') ?? '', unit: q.get('unit') ?? '', status: q.get('status') ?? '', q: q.get('q') ?? '' }
}

export function mountTasks(root, ctx) {
  const filters = filtersFromHash()
  const state = { data: null, units: [], error: null, notice: null }
  const el = h('div', { class: 'tasks-board' })
  const controls = {
    status: h('select', { id: 'tasks-status', 'data-key': 'tasks-status' }),
    unit: h('select', { id: 'tasks-unit', 'data-key': 'tasks-unit' }),
    meeting: h('select', { id: 'tasks-meeting', 'data-key': 'tasks-meeting' }),
    q: h('input', { id: 'tasks-q', 'data-key': 'tasks-q', type: 'search', value: filters.q, autocomplete: 'off' }),
  }
  const form = {
    title: h('textarea', { id: 'task-new-title', 'data-key': 'task-new-title', rows: 2, maxlength: 2000 }),
    unit: h('select', { id: 'task-new-unit', 'data-key': 'task-new-unit' }),
    deadline: h('input', { id: 'task-new-deadline', 'data-key': 'task-new-deadline', type: 'date' }),
    days: h('input', { id: 'task-new-days', 'data-key': 'task-new-days', type: 'number', min: 1, max: 1000, inputmode: 'numeric' }),
  }
  const picker = personPicker('task-new-person', ctx)
  form.personQ = picker.q
  form.person = picker.select

  async function load() {
    try {
      const [data, units] = await Promise.all([listTasks(filters), state.units.length ? null : listUnits()])
      state.data = data
      if (units) state.units = units.units ?? []
      state.error = null
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.error = adminError(err)
    }
    render()
  }

  function applyFilters(e) {
    e?.preventDefault()
    const params = new URLSearchParams()
    for (const name of ['status', 'unit', 'meeting', 'q']) if (controls[name].value) params.set(name, controls[name].value)
    const text = params.toString()
    location.hash = `#/tasks${text ? `?${text}` : ''}`
  }

  async function assign(e) {
    e.preventDefault()
    const body = { title: form.title.value.trim() }
    if (form.unit.value) body.unit_id = Number(form.unit.value)
    if (form.person.value) body.assignee_id = Number(form.person.value)
    if (form.deadline.value) body.deadline = form.deadline.value
    else if (form.days.value) body.working_days = Number(form.days.value)
    if (!body.title || !(body.unit_id || body.assignee_id)) {
      state.notice = { kind: 'error', text: t('tasks.needUnit') }
      return render()
    }
    try {
      await createTask(body)
      form.title.value = form.deadline.value = form.days.value = form.personQ.value = form.person.value = ''
      state.notice = { kind: 'ok', text: t('tasks.assigned') }
      await load()
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: adminError(err) }
      render()
    }
  }

  function options(select, list, current) {
    select.replaceChildren(...list.map(([value, label]) => h('option', { value, selected: value === current ? true : null }, label)))
    select.value = current
  }

  function summary(s) {
    const stat = (key, value, label) => h('div', { class: `task-stat task-stat-${key}`, 'data-key': `stat-${key}` }, h('strong', {}, String(value)), h('span', {}, label))
    return h(
      'div',
      { class: 'task-stats', role: 'group', 'aria-label': t('tasks.title') },
      stat('total', s.total, t('tasks.total')),
      stat('overdue', s.overdue, t('tasks.status.overdue')),
      stat('extension', s.extension_asked, t('tasks.status.extension_asked')),
      stat('done', s.done, t('tasks.status.done')),
    )
  }

  function table(id, title, first, rows) {
    if (!rows.length) return null
    return h(
      'section',
      { class: `panel ${id}`, 'aria-labelledby': id },
      h('h2', { id }, title),
      h(
        'table',
        { class: 'task-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, first), h('th', { scope: 'col' }, t('tasks.col.total')), h('th', { scope: 'col' }, t('tasks.col.overdue')), h('th', { scope: 'col' }, t('tasks.col.done')))),
        h(
          'tbody',
          {},
          rows.map(([label, attrs, x]) =>
            h('tr', { ...attrs, class: x.overdue ? 'has-overdue' : null }, h('th', { scope: 'row' }, label), h('td', {}, String(x.total)), h('td', {}, String(x.overdue)), h('td', {}, String(x.done))),
          ),
        ),
      ),
    )
  }

  const byUnit = (s) => table('tasks-by-unit', t('tasks.byUnit'), t('tasks.col.unit'), s.by_unit.map((u) => [u.unit, { 'data-unit': u.unit }, u]))
  const byMeeting = (s) =>
    table(
      'tasks-by-meeting',
      t('tasks.byMeeting'),
      t('tasks.filter.meeting'),
      s.by_meeting.map((m) => [m.meeting_id ? h('a', { href: `#/tasks?meeting=${m.meeting_id}` }, m.title) : t('tasks.byHand'), { 'data-meeting': m.meeting_id ?? '' }, m]),
    )

  function card(task) {
    return h(
      'li',
      { class: `task-card${task.overdue ? ' overdue' : ''}`, 'data-task': task.id },
      h('a', { href: `#/tasks/${task.id}`, class: 'task-title', 'data-key': `task-${task.id}` }, task.item_no ? `${task.item_no}. ${task.title}` : task.title),
      h('div', { class: 'task-meta' }, statusTag(task), h('span', {}, responsible(task)), h('span', {}, t('tasks.deadline', { date: day(task.deadline) })), h('span', { class: 'meta' }, timeLeft(task))),
      task.meeting ? h('div', { class: 'meta small' }, task.meeting.title) : null,
    )
  }

  function newTask(data) {
    if (!data.office) return null
    options(form.unit, [['', t('tasks.noUnit')], ...state.units.map((u) => [String(u.id), u.name])], form.unit.value)
    return h(
      'details',
      { class: 'panel task-new' },
      h('summary', { 'data-key': 'task-new-open' }, t('tasks.new')),
      h(
        'form',
        { class: 'prep-form', onsubmit: assign, novalidate: true },
        field('task-new-title', t('tasks.field.title'), form.title),
        field('task-new-unit', t('tasks.field.unit'), form.unit),
        h('div', { class: 'row' }, field('task-new-person-q', t('tasks.field.personQ'), form.personQ), field('task-new-person', t('tasks.field.person'), form.person)),
        h('div', { class: 'row' }, field('task-new-deadline', t('tasks.field.deadline'), form.deadline), field('task-new-days', t('tasks.field.days'), form.days)),
        h('button', { type: 'submit', class: 'primary', 'data-key': 'task-new-submit' }, t('tasks.assign')),
      ),
    )
  }

  function render() {
    document.title = `${t('tasks.title')} – ${t('app.name')}`
    const data = state.data
    const s = data?.summary
    options(controls.status, STATUS_FILTERS.map((v) => [v, v ? (v === 'open' ? t('tasks.filter.open') : t(`tasks.status.${v}`)) : t('tasks.filter.all')]), filters.status)
    options(controls.unit, [['', t('tasks.filter.all')], ...state.units.map((u) => [u.name, u.name])], filters.unit)
    const meetings = (s?.by_meeting ?? []).filter((m) => m.meeting_id)
    if (filters.meeting && !meetings.some((m) => String(m.meeting_id) === filters.meeting)) meetings.push({ meeting_id: filters.meeting, title: `#${filters.meeting}` })
    options(controls.meeting, [['', t('tasks.filter.all')], ...meetings.map((m) => [String(m.meeting_id), m.title])], filters.meeting)
    replaceContent(
      el,
      h('h1', {}, t('tasks.title')),
      h('p', { class: 'meta' }, data?.office ? t('tasks.officeHint') : t('tasks.mineHint')),
      state.error ? h('p', { class: 'error', role: 'alert' }, state.error) : null,
      !data && !state.error ? h('p', { role: 'status' }, t('app.loading')) : null,
      s ? summary(s) : null,
      h(
        'form',
        { class: 'task-filters row', onsubmit: applyFilters, role: 'search' },
        field('tasks-status', t('tasks.filter.status'), controls.status),
        field('tasks-unit', t('tasks.filter.unit'), controls.unit),
        field('tasks-meeting', t('tasks.filter.meeting'), controls.meeting),
        field('tasks-q', t('tasks.filter.q'), controls.q),
        h('button', { type: 'submit', 'data-key': 'tasks-filter' }, t('tasks.filter.apply')),
      ),
      data?.can_export
        ? h(
            'p',
            { class: 'task-exports' },
            h('a', { class: 'button', href: taskReportUrl('csv', filters), download: '', 'data-key': 'tasks-csv' }, t('tasks.exportCsv')),
            ' ',
            h('a', { class: 'button', href: taskReportUrl('pdf', filters), download: '', 'data-key': 'tasks-pdf' }, t('tasks.exportPdf')),
          )
        : null,
      noticeLine(state.notice),
      data ? newTask(data) : null,
      data
        ? h(
            'section',
            { class: 'panel task-list-panel', 'aria-labelledby': 'tasks-list' },
            h('h2', { id: 'tasks-list' }, t('tasks.list')),
            data.tasks.length ? h('ul', { class: 'task-list' }, data.tasks.map(card)) : h('p', { class: 'meta', 'data-key': 'tasks-none' }, t('tasks.none')),
          )
        : null,
      s ? byUnit(s) : null,
      s ? byMeeting(s) : null,
    )
  }

  root.replaceChildren(el)
  render()
  load()
  const unsubscribe = onLangChange(render)
  return {
    destroy() {
      unsubscribe()
      picker.destroy()
    },
  }
}
