// Participants and invitations: who takes part in which role, their
// answers, and adding people found in the directory.

import { h, replaceContent } from '../../../shared/dom.js'
import { listParticipants, addParticipant, updateParticipant, removeParticipant, findUsers, meetingGroups, addGroupToMeeting, invitationPdfUrl } from '../../../shared/api.js'
import { t, errorMessage, label } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'
import { refreshEvery } from '../../../shared/refresh.js'
import { confirmDialog } from '../../../shared/confirm.js'

// While invitations are out, answers arrive without a reload.
const ANSWERS_REFRESH_MS = 3000

const ROLES = ['delegate', 'chair', 'secretary', 'guest', 'display']
// A saved group brings delegates or guests (docs/api.md "Saved groups").
const GROUP_ROLES = ['delegate', 'guest']

// Who gets a letter of their own (domain/invitation.py): the invitees.
const LETTER_ROLES = new Set(['delegate', 'guest'])

export function createPeopleEditor({ meetingId, unauthorized, peopleChanged = () => {} }) {
  const state = { meeting: null, editable: false, people: null, found: null, notice: null, addRole: 'delegate', groups: [] }
  const el = h('section', { class: 'panel', 'aria-labelledby': 'p-people' })
  const query = h('input', { id: 'u-q', 'data-key': 'u-q', type: 'search', autocomplete: 'off' })

  async function load({ quiet = false } = {}) {
    try {
      const people = (await listParticipants(meetingId)).participants ?? []
      // A quiet re-read redraws only when an answer changed, so nothing being
      // typed or chosen here is disturbed.
      if (quiet && JSON.stringify(people) === JSON.stringify(state.people)) return
      state.people = people
      peopleChanged(people)
    } catch (err) {
      if (err.status === 401) return unauthorized()
      if (quiet) return
      state.notice = { kind: 'error', text: errorMessage(err) }
    }
    render()
  }
  const stopAnswers = refreshEvery(ANSWERS_REFRESH_MS, () => (state.meeting?.status === 'invited' && el.isConnected ? load({ quiet: true }) : null))

  async function run(job, okText) {
    state.notice = null
    try {
      await job()
      state.notice = okText ? { kind: 'ok', text: okText } : null
      await load()
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.notice = { kind: 'error', text: errorMessage(err) }
      render()
    }
  }

  async function find(e) {
    e.preventDefault()
    const q = query.value.trim()
    state.found = null
    try {
      state.found = (await findUsers(q)).users ?? []
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.notice = { kind: 'error', text: errorMessage(err) }
    }
    render()
  }

  async function remove(p) {
    const yes = await confirmDialog({
      title: t('confirm.removePersonTitle', { name: p.full_name }),
      body: t('confirm.removePersonBody', { name: p.full_name, role: label('role', p.role) }),
      confirm: t('confirm.removePersonYes'),
    })
    if (yes) run(() => removeParticipant(meetingId, p.user_id), t('people.removed', { name: p.full_name }))
  }

  const roleSelect = (id, value, onchange, disabled) =>
    h('select', { id, 'data-key': id, disabled, onchange: (e) => onchange(e.target.value) }, ROLES.map((r) => h('option', { value: r, selected: r === value }, label('role', r))))

  function answer(p) {
    const bits = [label('response', p.response ?? 'pending')]
    if (p.response_reason) bits.push(p.response_reason)
    if (p.deputy) bits.push(t('people.deputy', { name: p.deputy.full_name, status: label('deputyStatus', p.deputy.status) }))
    if (p.responded_at) bits.push(formatDateTime(p.responded_at))
    return bits.join(' · ')
  }

  // The personal letter ("Kính gửi: Ông/Bà ..."), once the invitations are out.
  function letterLink(p) {
    if (!state.meeting?.invitation || state.meeting.status === 'draft' || !LETTER_ROLES.has(p.role)) return null
    return h('div', { class: 'small' }, h('a', { href: invitationPdfUrl(meetingId, { user: p.user_id }), target: '_blank', rel: 'noopener', 'data-key': `letter-${p.user_id}`, 'aria-label': t('people.letterOf', { name: p.full_name }) }, t('people.letter')))
  }

  async function loadGroups() {
    try {
      state.groups = (await meetingGroups(meetingId)).groups ?? []
    } catch {
      state.groups = [] // the picker is a shortcut; searching people still works
    }
    render()
  }

  function groupPicker() {
    const select = h('select', { id: 'u-group', 'data-key': 'u-group' }, state.groups.map((g) => h('option', { value: g.id }, t('people.groupOption', { name: g.name, count: g.size }))))
    const role = GROUP_ROLES.includes(state.addRole) ? state.addRole : 'delegate'
    const add = () => {
      const group = state.groups.find((g) => String(g.id) === select.value)
      if (group) run(() => addGroupToMeeting(meetingId, group.id, role), t('people.groupAdded', { name: group.name }))
    }
    return h(
      'div',
      { class: 'row tight add-group' },
      h('label', { for: 'u-group' }, t('people.addGroup')),
      select,
      h('button', { type: 'button', class: 'primary', 'data-key': 'u-group-add', onclick: add }, t('people.addGroupAs', { role: label('role', role) })),
    )
  }

  function render() {
    const people = state.people ?? []
    const taken = new Set(people.map((p) => String(p.user_id)))
    replaceContent(
      el,
      h('h2', { id: 'p-people' }, t('people.title', { count: people.length })),
      state.people === null
        ? h('p', { role: 'status' }, t('app.loading'))
        : h(
            'table',
            { class: 'people' },
            h('thead', {}, h('tr', {}, ['people.name', 'people.role', 'people.answer', 'people.actions'].map((k) => h('th', { scope: 'col' }, t(k))))),
            h(
              'tbody',
              {},
              people.map((p) =>
                h(
                  'tr',
                  { 'data-user': p.user_id },
                  h('th', { scope: 'row' }, p.full_name, h('span', { class: 'meta small' }, [p.title, p.unit].filter(Boolean).map((x) => ` · ${x}`).join(''))),
                  h('td', {}, h('label', { class: 'visually-hidden', for: `role-${p.user_id}` }, t('people.roleOf', { name: p.full_name })), roleSelect(`role-${p.user_id}`, p.role, (role) => run(() => updateParticipant(meetingId, p.user_id, role), t('people.saved')), !state.editable)),
                  h('td', { 'data-answer': p.response ?? 'pending' }, answer(p), letterLink(p)),
                  h('td', {}, state.editable ? h('button', { type: 'button', class: 'danger', 'data-key': `remove-${p.user_id}`, onclick: () => remove(p) }, t('people.remove')) : null),
                ),
              ),
            ),
          ),
      state.editable
        ? h(
            'form',
            { class: 'find', role: 'search', onsubmit: find },
            h('h3', {}, t('people.add')),
            h('label', { for: 'u-q' }, t('people.search')),
            h('div', { class: 'row tight' }, query, h('button', { type: 'submit', 'data-key': 'u-find' }, t('search.go'))),
            h('label', { for: 'u-role' }, t('people.asRole')),
            // The invite buttons name the role: they change with it.
            roleSelect('u-role', state.addRole, (r) => { state.addRole = r; render(); document.getElementById('u-role')?.focus() }),
          )
        : null,
      state.editable && state.groups.length ? groupPicker() : null,
      state.found
        ? state.found.length
          ? h(
              'ul',
              { class: 'edit-list found' },
              state.found.map((u) =>
                h(
                  'li',
                  { 'data-found': u.id },
                  h('div', { class: 'grow' }, h('strong', {}, u.full_name), h('span', { class: 'meta' }, [u.username, u.title, u.unit].filter(Boolean).map((x) => ` · ${x}`).join(''))),
                  taken.has(String(u.id))
                    ? h('span', { class: 'meta' }, t('people.already'))
                    : h('button', { type: 'button', class: 'primary', 'data-key': `invite-${u.id}`, onclick: () => run(() => addParticipant(meetingId, u.id, state.addRole), t('people.added', { name: u.full_name })) }, t('people.invite', { role: label('role', state.addRole) })),
                ),
              ),
            )
          : h('p', { class: 'meta' }, t('people.noneFound'))
        : null,
      h('div', { 'aria-live': 'polite' }, state.notice ? h('p', { class: state.notice.kind === 'error' ? 'error' : 'ok-text' }, state.notice.text) : null),
    )
  }

  return {
    el,
    render,
    destroy: stopAnswers,
    setMeeting(meeting, editable) {
      state.meeting = meeting
      state.editable = editable
      load()
      if (editable) loadGroups()
    },
  }
}
