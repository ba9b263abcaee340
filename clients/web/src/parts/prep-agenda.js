// The agenda of a meeting being prepared: add, edit, reorder, delete.

import { h, replaceContent } from '../../../shared/dom.js'
import { addItem, updateItem, removeItem, reorderItems } from '../../../shared/api.js'
import { t, errorMessage } from '../../../shared/i18n/index.js'
import { formatTime } from '../../../shared/time.js'
import { formatSeconds } from '../../../shared/timer.js'
import { confirmDialog } from '../../../shared/confirm.js'

export function createAgendaEditor({ meetingId, reload, unauthorized }) {
  const state = { meeting: null, editable: false, editing: null, notice: null, busy: false }
  const el = h('section', { class: 'panel', 'aria-labelledby': 'p-agenda' })
  const addTitle = h('input', { id: 'a-title', 'data-key': 'a-title', maxlength: 500 })
  const addPresenter = h('input', { id: 'a-presenter', 'data-key': 'a-presenter', maxlength: 200 })
  const addDuration = h('input', { id: 'a-duration', 'data-key': 'a-duration', type: 'number', min: 0, max: 1440, value: '15', inputmode: 'numeric' })

  async function run(job, okText) {
    if (state.busy) return false
    state.busy = true
    state.notice = null
    render()
    let ok = false
    try {
      await job()
      await reload()
      state.notice = okText ? { kind: 'ok', text: okText } : null
      ok = true
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.notice = { kind: 'error', text: errorMessage(err) }
    }
    state.busy = false
    render()
    return ok
  }

  const items = () => state.meeting?.agenda ?? []

  function fields(form) {
    const out = { title: form.elements.title.value.trim(), presenter: form.elements.presenter.value.trim() }
    const minutes = form.elements.duration.value
    if (minutes !== '') out.duration_min = Math.max(0, Math.round(Number(minutes)))
    // Empty: the meeting's speaking time applies to this item.
    const speech = String(form.elements.speech.value).replace(',', '.').trim()
    out.speech_limit_s = speech && Number(speech) > 0 ? Math.round(Number(speech) * 60) : null
    return out
  }

  async function add(e) {
    e.preventDefault()
    if (!addTitle.value.trim()) {
      state.notice = { kind: 'error', text: t('agendaEdit.titleRequired') }
      render()
      addTitle.focus()
      return
    }
    const body = { title: addTitle.value.trim(), duration_min: Math.max(0, Math.round(Number(addDuration.value) || 0)) }
    if (addPresenter.value.trim()) body.presenter = addPresenter.value.trim()
    if (await run(() => addItem(meetingId, body), t('agendaEdit.added'))) {
      addTitle.value = ''
      addPresenter.value = ''
      addTitle.focus()
    }
  }

  async function remove(item) {
    const yes = await confirmDialog({
      title: t('confirm.deleteItemTitle', { title: item.title }),
      body: t('confirm.deleteItemBody'),
      confirm: t('confirm.deleteItemYes'),
    })
    if (yes) run(() => removeItem(meetingId, item.id), t('agendaEdit.removed'))
  }

  function move(index, delta) {
    const order = items().map((i) => i.id)
    const [id] = order.splice(index, 1)
    order.splice(index + delta, 0, id)
    run(() => reorderItems(meetingId, order))
  }

  function editForm(item) {
    return h(
      'form',
      {
        class: 'edit-item',
        onsubmit: async (e) => {
          e.preventDefault()
          const body = fields(e.target)
          if (!body.title) return
          if (await run(() => updateItem(meetingId, item.id, body), t('agendaEdit.saved'))) state.editing = null
          render()
        },
      },
      h('div', { class: 'field' }, h('label', { for: `e-title-${item.id}` }, t('agendaEdit.title')), h('input', { id: `e-title-${item.id}`, name: 'title', 'data-key': `e-title-${item.id}`, value: item.title, maxlength: 500 })),
      h(
        'div',
        { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: `e-presenter-${item.id}` }, t('agendaEdit.presenter')), h('input', { id: `e-presenter-${item.id}`, name: 'presenter', value: item.presenter ?? '', maxlength: 200 })),
        h('div', { class: 'field' }, h('label', { for: `e-duration-${item.id}` }, t('agendaEdit.duration')), h('input', { id: `e-duration-${item.id}`, name: 'duration', type: 'number', min: 0, value: String(item.duration_min ?? 0) })),
        h('div', { class: 'field' }, h('label', { for: `e-speech-${item.id}` }, t('agendaEdit.speech')), h('input', { id: `e-speech-${item.id}`, name: 'speech', 'data-key': `e-speech-${item.id}`, type: 'number', min: 0.5, max: 60, step: 0.5, inputmode: 'decimal', value: item.speech_limit_s ? String(item.speech_limit_s / 60) : '' })),
      ),
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', 'data-key': `e-save-${item.id}` }, t('prepare.save')), h('button', { type: 'button', onclick: () => { state.editing = null; render() } }, t('annotate.cancel'))),
    )
  }

  function render() {
    const list = items()
    const can = state.editable
    replaceContent(
      el,
      h('h2', { id: 'p-agenda' }, t('meeting.agenda')),
      list.length
        ? h(
            'ol',
            { class: 'edit-list' },
            list.map((item, i) =>
              h(
                'li',
                { 'data-item': item.id },
                state.editing === item.id
                  ? editForm(item)
                  : [
                      h(
                        'div',
                        { class: 'grow' },
                        h('strong', {}, `${i + 1}. ${item.title}`),
                        h(
                          'p',
                          { class: 'meta' },
                          [
                            item.planned_start ? `${formatTime(item.planned_start)}–${formatTime(item.planned_end)}` : '',
                            item.presenter ? t('meeting.presenter', { name: item.presenter }) : '',
                            t('meeting.duration', { minutes: item.duration_min ?? 0 }),
                            item.speech_limit_s ? t('meeting.speechLimit', { time: formatSeconds(item.speech_limit_s) }) : '',
                          ].filter(Boolean).join(' · '),
                        ),
                      ),
                      can
                        ? h(
                            'div',
                            { class: 'actions' },
                            h('button', { type: 'button', 'data-key': `edit-${item.id}`, onclick: () => { state.editing = item.id; render(); el.querySelector(`#e-title-${item.id}`)?.focus() } }, t('annotate.edit')),
                            h('button', { type: 'button', 'aria-label': t('agendaEdit.up', { title: item.title }), disabled: i === 0, 'data-key': `up-${item.id}`, onclick: () => move(i, -1) }, '↑'),
                            h('button', { type: 'button', 'aria-label': t('agendaEdit.down', { title: item.title }), disabled: i === list.length - 1, 'data-key': `down-${item.id}`, onclick: () => move(i, 1) }, '↓'),
                            h('button', { type: 'button', class: 'danger', 'data-key': `del-${item.id}`, onclick: () => remove(item) }, t('annotate.delete')),
                          )
                        : null,
                    ],
              ),
            ),
          )
        : h('p', { class: 'meta' }, t('meeting.agendaEmpty')),
      can
        ? h(
            'form',
            { class: 'add-item', onsubmit: add },
            h('h3', {}, t('agendaEdit.add')),
            h('div', { class: 'field' }, h('label', { for: 'a-title' }, t('agendaEdit.title')), addTitle),
            h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: 'a-presenter' }, t('agendaEdit.presenter')), addPresenter), h('div', { class: 'field' }, h('label', { for: 'a-duration' }, t('agendaEdit.duration')), addDuration)),
            h('button', { type: 'submit', class: 'primary', 'data-key': 'a-add', disabled: state.busy }, t('agendaEdit.addButton')),
          )
        : null,
      h('div', { 'aria-live': 'polite' }, state.notice ? h('p', { class: state.notice.kind === 'error' ? 'error' : 'ok-text' }, state.notice.text) : null),
    )
  }

  return {
    el,
    render,
    setMeeting(meeting, editable) {
      state.meeting = meeting
      state.editable = editable
      render()
    },
  }
}
