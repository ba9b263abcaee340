// The invitee's answer to an invitation: attend, decline with a reason, or
// send a deputy chosen from the people of the body (the chair consents,
// Decision 45/2018/QĐ-TTg). Used on the meeting list and the meeting page;
// PUT /api/meetings/{id}/response. Links the letter (giấy mời) as sent.

import { h, replaceContent } from '../../../shared/dom.js'
import { respond } from '../../../shared/api.js'
import { t, errorMessage, label } from '../../../shared/i18n/index.js'
import { createDeputyPicker } from './deputy-picker.js'

/** The words for an answer: "Tham dự", "Vắng · lý do", "Cử người dự thay: X (chờ ...)". */
export function answerText(answer) {
  if (!answer) return ''
  const bits = [label('response', answer.response ?? 'pending')]
  if (answer.response === 'absent' && answer.response_reason) bits.push(answer.response_reason)
  if (answer.deputy) bits.push(`${answer.deputy.full_name} (${label('deputyStatus', answer.deputy.status)})`)
  return bits.join(' · ')
}

export function createInvitation({ meetingId, unauthorized, onAnswered = () => {} }) {
  const key = (name) => `inv-${name}-${meetingId}`
  const state = { answer: null, status: '', pdf: null, letter: null, mode: 'idle', notice: null, busy: false }
  const el = h('div', { class: 'invitation', 'data-invitation': meetingId })
  const reason = h('textarea', { id: key('reason'), 'data-key': key('reason'), rows: 2, maxlength: 1000 })
  const picker = createDeputyPicker({ meetingId, unauthorized })

  async function send(body, okText) {
    state.busy = true
    state.notice = null
    render()
    try {
      const { participant } = await respond(meetingId, body)
      state.answer = participant
      state.mode = 'idle'
      state.notice = { kind: 'ok', text: okText }
      onAnswered(participant)
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.notice = { kind: 'error', text: errorMessage(err) }
    }
    state.busy = false
    render()
  }

  function openDeputy() {
    state.mode = 'deputy'
    state.notice = null
    render()
    picker.open()
  }

  function decline(e) {
    e.preventDefault()
    if (!reason.value.trim()) {
      state.notice = { kind: 'error', text: t('invitation.reasonRequired') }
      return render()
    }
    send({ answer: 'absent', reason: reason.value.trim() }, t('invitation.sent'))
  }

  function nameDeputy(e) {
    e.preventDefault()
    const chosen = picker.chosen()
    if (!chosen) {
      state.notice = { kind: 'error', text: t('invitation.deputyRequired') }
      return render()
    }
    send({ answer: 'deputy', deputy_user_id: chosen.user_id }, t('invitation.sent'))
  }

  function form() {
    const cancel = h('button', { type: 'button', 'data-key': key('cancel'), onclick: () => { state.mode = 'idle'; render() } }, t('invitation.cancel'))
    if (state.mode === 'absent') {
      return h(
        'form',
        { class: 'invitation-form', onsubmit: decline },
        h('label', { for: key('reason') }, t('invitation.reason')),
        reason,
        h('div', { class: 'row tight' }, h('button', { type: 'submit', class: 'primary', 'data-key': key('send-absent'), disabled: state.busy }, t('invitation.confirmDecline')), cancel),
      )
    }
    if (state.mode === 'deputy') {
      picker.render()
      return h(
        'form',
        { class: 'invitation-form', onsubmit: nameDeputy },
        picker.el,
        h('p', { class: 'meta small' }, t('invitation.deputyNote')),
        h('div', { class: 'row tight' }, h('button', { type: 'submit', class: 'primary', 'data-key': key('send-deputy'), disabled: state.busy }, t('invitation.confirmDeputy')), cancel),
      )
    }
    return null
  }

  function render() {
    const a = state.answer
    // Only while invitations are out: once the meeting starts the page belongs to it.
    if (!a || state.status !== 'invited') return replaceContent(el)
    const open = a.stands_in_for == null && a.deputy?.status !== 'approved'
    const mayDeputy = open && ['delegate', 'guest'].includes(state.role)
    replaceContent(
      el,
      h('p', { class: 'invitation-answer', 'data-response': a.response ?? 'pending' }, t('invitation.yourAnswer', { answer: answerText(a) })),
      a.stands_in_for != null ? h('p', { class: 'meta small' }, t('invitation.standsIn')) : null,
      open && state.mode === 'idle'
        ? h(
            'div',
            { class: 'row tight invitation-actions' },
            h('button', { type: 'button', class: a.response === 'attend' ? 'primary' : '', 'aria-pressed': String(a.response === 'attend'), 'data-key': key('attend'), disabled: state.busy, onclick: () => send({ answer: 'attend' }, t('invitation.sent')) }, t('invitation.attend')),
            h('button', { type: 'button', 'data-key': key('absent'), disabled: state.busy, onclick: () => { state.mode = 'absent'; state.notice = null; reason.value = a.response_reason ?? ''; render(); reason.focus() } }, t('invitation.decline')),
            mayDeputy ? h('button', { type: 'button', 'data-key': key('deputy-open'), disabled: state.busy, onclick: openDeputy }, t('invitation.sendDeputy')) : null,
          )
        : null,
      open ? form() : null,
      state.pdf || state.letter
        ? h(
            'p',
            { class: 'row tight' },
            state.pdf ? h('a', { href: state.pdf, target: '_blank', rel: 'noopener', 'data-key': key('pdf') }, t('invitation.pdf')) : null,
            state.letter ? h('a', { href: state.letter, target: '_blank', rel: 'noopener', 'data-key': key('letter') }, t('invitation.myLetter')) : null,
          )
        : null,
      h('div', { 'aria-live': 'polite' }, state.notice ? h('p', { class: state.notice.kind === 'error' ? 'error' : 'ok-text', 'data-notice': state.notice.kind }, state.notice.text) : null),
    )
  }

  return {
    el,
    render,
    /** answer: the caller's own (my_answer); status: the meeting's; pdf: the letter's URL;
     *  letter: the caller's personal letter, where the screen knows it. */
    set({ answer, status, role, pdf, letter }) {
      state.letter = letter ?? null
      state.answer = answer ?? null
      state.status = status ?? ''
      state.role = role ?? ''
      state.pdf = pdf ?? null
      render()
    },
    /** The meeting's status as the room tells it live (the session may start). */
    setStatus(status) {
      if (!status || status === state.status) return
      state.status = status
      render()
    },
  }
}
