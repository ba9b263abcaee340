// One task: what, who, until when, where it stands, its files and its history,
// and the steps the caller may take now (the server lists them and checks
// them again): progress, done with a report and files, an extension asked;
// for the office, the extension granted or refused, a report reopened.
//   #/tasks/ID

import { h, replaceContent } from '../../../shared/dom.js'
import { getTask, taskStep, attachToTask } from '../../../shared/api.js'
import { t, onLangChange } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'
import { adminError, noticeLine, field } from '../parts/admin-common.js'
import { day, statusTag, timeLeft, responsible } from './tasks.js'

export function mountTask(root, id, ctx) {
  const state = { data: null, error: null, notice: null, busy: false }
  const el = h('div', { class: 'task-detail' })
  const input = {
    progress: h('input', { id: 'task-progress', 'data-key': 'task-progress', type: 'number', min: 0, max: 99, inputmode: 'numeric' }),
    progressNote: h('textarea', { id: 'task-progress-note', 'data-key': 'task-progress-note', rows: 2, maxlength: 4000 }),
    report: h('textarea', { id: 'task-report', 'data-key': 'task-report', rows: 3, maxlength: 4000 }),
    file: h('input', { id: 'task-file', 'data-key': 'task-file', type: 'file', accept: '.pdf,.doc,.docx,.xls,.xlsx,.odt,.ods,.ppt,.pptx' }),
    until: h('input', { id: 'task-until', 'data-key': 'task-until', type: 'date' }),
    reason: h('textarea', { id: 'task-reason', 'data-key': 'task-reason', rows: 2, maxlength: 4000 }),
    grantUntil: h('input', { id: 'task-grant-until', 'data-key': 'task-grant-until', type: 'date' }),
    answer: h('textarea', { id: 'task-answer', 'data-key': 'task-answer', rows: 2, maxlength: 4000 }),
  }

  async function load() {
    try {
      state.data = await getTask(id)
      state.error = null
      input.progress.value = String(Math.min(99, state.data.task.progress))
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.error = adminError(err)
    }
    render()
  }

  async function run(action, body, done) {
    if (state.busy) return
    state.busy = true
    state.notice = null
    render()
    try {
      await done(body ? await taskStep(id, { action, ...body }) : null)
      state.notice = { kind: 'ok', text: t(`tasks.done.${action}`, { name: input.file.files?.[0]?.name ?? '' }) }
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: adminError(err) }
    }
    state.busy = false
    await load()
  }

  const submit = (handler) => (e) => {
    e.preventDefault()
    handler()
  }
  const clear = (...fields) => () => fields.forEach((f) => (f.value = ''))

  const forms = {
    progress: () =>
      h(
        'form',
        { class: 'prep-form task-form', 'data-form': 'progress', onsubmit: submit(() => run('progress', { progress: Number(input.progress.value || 0), note: input.progressNote.value }, clear(input.progressNote))) },
        h('h3', {}, t('tasks.do.progress')),
        field('task-progress', t('tasks.percent'), input.progress),
        field('task-progress-note', t('tasks.note'), input.progressNote),
        h('button', { type: 'submit', 'data-key': 'task-do-progress', disabled: state.busy }, t('tasks.do.progress')),
      ),
    attach: () =>
      h(
        'form',
        { class: 'prep-form task-form', 'data-form': 'attach', onsubmit: submit(() => input.file.files?.length && run('attach', null, async () => { await attachToTask(id, input.file.files[0]) })) },
        h('h3', {}, t('tasks.do.attach')),
        field('task-file', t('tasks.do.file'), input.file),
        h('button', { type: 'submit', 'data-key': 'task-do-attach', disabled: state.busy }, t('tasks.do.attach')),
      ),
    report: () =>
      h(
        'form',
        { class: 'prep-form task-form', 'data-form': 'report', onsubmit: submit(() => run('report', { note: input.report.value }, clear(input.report))) },
        h('h3', {}, t('tasks.do.report')),
        field('task-report', t('tasks.do.reportText'), input.report),
        h('button', { type: 'submit', class: 'primary', 'data-key': 'task-do-report', disabled: state.busy }, t('tasks.do.report')),
      ),
    ask_extension: () =>
      h(
        'form',
        { class: 'prep-form task-form', 'data-form': 'ask', onsubmit: submit(() => run('ask_extension', { until: input.until.value, note: input.reason.value }, clear(input.until, input.reason))) },
        h('h3', {}, t('tasks.do.ask')),
        field('task-until', t('tasks.do.askUntil'), input.until),
        field('task-reason', t('tasks.do.reason'), input.reason),
        h('button', { type: 'submit', 'data-key': 'task-do-ask', disabled: state.busy }, t('tasks.do.ask')),
      ),
    grant: () =>
      h(
        'form',
        { class: 'prep-form task-form', 'data-form': 'answer', onsubmit: submit(() => run('grant', { until: input.grantUntil.value || null, note: input.answer.value }, clear(input.grantUntil, input.answer))) },
        h('h3', {}, t('tasks.do.grant')),
        field('task-grant-until', t('tasks.do.grantUntil'), input.grantUntil),
        field('task-answer', t('tasks.note'), input.answer),
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'submit', class: 'primary', 'data-key': 'task-do-grant', disabled: state.busy }, t('tasks.do.grant')),
          h('button', { type: 'button', class: 'danger', 'data-key': 'task-do-refuse', disabled: state.busy, onclick: () => run('refuse', { note: input.answer.value }, clear(input.answer)) }, t('tasks.do.refuse')),
        ),
      ),
    reopen: () =>
      h(
        'form',
        { class: 'prep-form task-form', 'data-form': 'reopen', onsubmit: submit(() => run('reopen', { note: input.answer.value }, clear(input.answer))) },
        field('task-answer', t('tasks.note'), input.answer),
        h('button', { type: 'submit', class: 'danger', 'data-key': 'task-do-reopen', disabled: state.busy }, t('tasks.do.reopen')),
      ),
  }

  function facts(task) {
    return h(
      'div',
      { class: 'task-facts' },
      h('p', { class: 'task-meta' }, statusTag(task), h('span', {}, t('tasks.deadline', { date: day(task.deadline) })), h('span', { class: 'meta' }, timeLeft(task))),
      h('p', {}, t('tasks.responsible', { who: responsible(task) })),
      h('p', { class: 'meta' }, task.meeting ? h('a', { href: `#/minutes/${task.meeting.id}` }, t('tasks.from', { title: task.meeting.title })) : t('tasks.fromHand'), ' · ', t('tasks.assignedOn', { date: day(task.assigned_on) })),
      h('p', {}, h('label', { for: 'task-progress-bar' }, `${t('tasks.progress')}: ${task.progress} %`), ' ', h('progress', { id: 'task-progress-bar', max: 100, value: task.progress })),
      task.asked_until ? h('p', { class: 'callout warn', 'data-key': 'task-asked' }, t('tasks.asked', { date: day(task.asked_until), reason: task.asked_reason })) : null,
      task.extension ? h('p', { class: 'meta', 'data-extension': task.extension }, t(`tasks.extension.${task.extension}`)) : null,
      task.report ? h('p', { class: 'callout ok' }, t('tasks.report', { report: task.report })) : null,
      task.done_on ? h('p', { class: 'meta' }, t('tasks.doneOn', { date: day(task.done_on) })) : null,
    )
  }

  function history(rows) {
    return h(
      'section',
      { class: 'panel task-history', 'aria-labelledby': 'task-history' },
      h('h2', { id: 'task-history' }, t('tasks.history')),
      h(
        'ol',
        { class: 'task-events' },
        rows.map((e) =>
          h(
            'li',
            { 'data-kind': e.kind },
            h('span', { class: 'meta' }, formatDateTime(e.at)),
            ' ',
            h('strong', {}, e.by.full_name),
            ' ',
            t(`tasks.event.${e.kind}`),
            e.details?.until && e.kind === 'ask_extension' ? ` → ${day(e.details.until)}` : '',
            e.kind === 'grant' ? ` → ${day(e.details?.deadline)}` : '',
            e.kind === 'progress' ? ` (${e.details?.progress ?? 0} %)` : '',
            e.details?.name ? `: ${e.details.name}` : '',
            e.note ? h('div', { class: 'task-note' }, e.note) : null,
          ),
        ),
      ),
    )
  }

  function render() {
    const data = state.data
    const task = data?.task
    document.title = `${task ? task.title.slice(0, 60) : t('tasks.title')} – ${t('app.name')}`
    const actions = data?.actions ?? []
    replaceContent(
      el,
      h('p', {}, h('a', { href: '#/tasks', 'data-key': 'tasks-back' }, t('tasks.back'))),
      state.error ? h('p', { class: 'error', role: 'alert' }, state.error) : null,
      !data && !state.error ? h('p', { role: 'status' }, t('app.loading')) : null,
      task ? h('h1', { class: 'task-heading' }, task.item_no ? `${task.item_no}. ${task.title}` : task.title) : null,
      task ? facts(task) : null,
      noticeLine(state.notice),
      actions.length ? h('div', { class: 'task-actions' }, ['progress', 'attach', 'report', 'ask_extension', 'grant', 'reopen'].filter((a) => actions.includes(a)).map((a) => forms[a]())) : null,
      data
        ? h(
            'section',
            { class: 'panel task-files', 'aria-labelledby': 'task-files' },
            h('h2', { id: 'task-files' }, t('tasks.attachments')),
            data.attachments.length
              ? h('ul', {}, data.attachments.map((a) => h('li', {}, h('a', { href: a.url, download: '', 'data-attachment': a.id }, a.name), h('span', { class: 'meta small' }, ` · ${a.by} · ${formatDateTime(a.at)}`))))
              : h('p', { class: 'meta' }, t('tasks.noAttachments')),
          )
        : null,
      data ? history(data.history) : null,
    )
  }

  root.replaceChildren(el)
  render()
  load()
  const unsubscribe = onLangChange(render)
  return { destroy: unsubscribe }
}
