// The chair's consent to deputies (Decision 45/2018/QĐ-TTg: a member sends
// a deputy only with the chair's consent). Lists the deputies members named,
// re-read every few seconds, with "Đồng ý" / "Không đồng ý";
// POST /api/meetings/{id}/participants/{member}/deputy.

import { h, replaceContent } from '../../../shared/dom.js'
import { listParticipants, decideDeputy } from '../../../shared/api.js'
import { refreshEvery } from '../../../shared/refresh.js'
import { t, errorMessage, label } from '../../../shared/i18n/index.js'

const REFRESH_MS = 3000

export function createDeputies({ meetingId, unauthorized }) {
  const state = { people: null, notice: null, busy: false }
  const el = h('section', { class: 'panel deputies', 'aria-labelledby': 'c-deputies' })

  async function load() {
    try {
      state.people = (await listParticipants(meetingId)).participants ?? []
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.notice = { kind: 'error', text: errorMessage(err) }
    }
    render()
  }

  async function decide(p, approve) {
    state.busy = true
    state.notice = null
    render()
    const names = { deputy: p.deputy.full_name, member: p.full_name }
    try {
      state.people = (await decideDeputy(meetingId, p.user_id, approve)).participants ?? state.people
      state.notice = { kind: 'ok', text: t(approve ? 'deputies.approved' : 'deputies.refused', names) }
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.notice = { kind: 'error', text: errorMessage(err) }
    }
    state.busy = false
    render()
  }

  function line(p) {
    const names = { deputy: p.deputy.full_name, member: p.full_name }
    const pending = p.deputy.status === 'pending'
    return h(
      'li',
      { 'data-deputy-for': p.user_id, 'data-deputy-status': p.deputy.status },
      h('div', { class: 'grow' }, t('deputies.line', names), ' ', h('span', { class: 'meta small' }, `(${label('deputyStatus', p.deputy.status)})`)),
      pending
        ? h(
            'div',
            { class: 'row tight' },
            h('button', { type: 'button', class: 'primary', 'data-key': `deputy-approve-${p.user_id}`, 'aria-label': t('deputies.approveFor', names), disabled: state.busy, onclick: () => decide(p, true) }, t('deputies.approve')),
            h('button', { type: 'button', class: 'danger', 'data-key': `deputy-refuse-${p.user_id}`, 'aria-label': t('deputies.refuseFor', names), disabled: state.busy, onclick: () => decide(p, false) }, t('deputies.refuse')),
          )
        : null,
    )
  }

  function render() {
    const named = (state.people ?? []).filter((p) => p.deputy)
    const pending = named.filter((p) => p.deputy.status === 'pending')
    // Nothing to decide (and nothing just decided), nothing shown: the
    // console stays as it was for the session.
    el.hidden = pending.length === 0 && !state.notice
    replaceContent(
      el,
      h('h2', { id: 'c-deputies' }, t('deputies.title', { count: pending.length })),
      h('p', { class: 'meta small' }, t('deputies.rule')),
      state.people === null
        ? h('p', { role: 'status' }, t('app.loading'))
        : named.length
          ? h('ul', { class: 'edit-list' }, named.map(line))
          : h('p', { class: 'meta' }, t('deputies.none')),
      h('div', { 'aria-live': 'polite' }, state.notice ? h('p', { class: state.notice.kind === 'error' ? 'error' : 'ok-text' }, state.notice.text) : null),
    )
  }

  const stop = refreshEvery(REFRESH_MS, load)
  render()
  load()
  return { el, render, destroy: stop }
}
