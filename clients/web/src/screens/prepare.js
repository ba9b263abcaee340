// Preparing a meeting (secretary, or anyone who may prepare): the meeting
// itself, its status and invitations, the agenda, documents and people.
//   #/prepare/new   a new meeting
//   #/prepare/ID    an existing one

import { h, replaceContent } from '../../../shared/dom.js'
import { getMeeting, createMeeting, updateMeeting, setStatus, listRooms } from '../../../shared/api.js'
import { t, errorMessage, label, onLangChange } from '../../../shared/i18n/index.js'
import { dateField, timeField, fromFields, formatDateTime } from '../../../shared/time.js'
import { createAgendaEditor } from '../parts/prep-agenda.js'
import { createDocumentsEditor } from '../parts/prep-documents.js'
import { createPeopleEditor } from '../parts/prep-people.js'
import { createCopyForm, exportLink, mayCopy, mayExport } from '../parts/reuse.js'
import { isPast } from '../../../shared/records.js'
import { noticeBox } from '../parts/notice.js'
import { invitationPdfUrl } from '../../../shared/api.js'
import { confirmDialog } from '../../../shared/confirm.js'
import { isEarly, timeUntilStart } from '../../../shared/checkin.js'

// Whom the letter invites (domain/invitation.py): members and guests, not the
// chair who invites them, nor the secretary or the projector.
const INVITED = new Set(['delegate', 'guest'])
const hasChair = (m) => (m.participants ?? []).some((p) => p.role === 'chair')

export const KINDS = ['regular', 'thematic', 'extraordinary', 'briefing', 'review', 'consultation', 'other']
export const CONFIDENTIALITY = ['public', 'internal', 'confidential']
const QUORUM_RULES = ['half', 'two_thirds', 'none']
// Which status may follow which (docs/api.md, Lifecycle).
const NEXT = { draft: ['invited'], invited: ['draft', 'in_session'], in_session: ['ended'], ended: ['archived'] }
export const PREPARABLE = new Set(['draft', 'invited'])

/** A small notice line: {kind: 'ok'|'error'|'warn', text}. */
export const notice = (n) =>
  n ? h('p', { class: n.kind === 'error' ? 'error' : n.kind === 'warn' ? 'callout warn' : 'ok-text', role: n.kind === 'error' ? 'alert' : 'status' }, n.text) : null

export function mountPrepare(root, id, ctx) {
  const isNew = id === 'new'
  const state = { meeting: null, error: null, rooms: [], formNotice: null, statusNotice: null, warnings: [] }
  let alive = true
  const head = h('div', { class: 'meeting-head' })
  const formPanel = h('section', { class: 'panel', 'aria-labelledby': 'p-meeting' })
  const statusPanel = h('section', { class: 'panel', 'aria-labelledby': 'p-status' })
  const rest = h('div', { class: 'prep-rest' })
  root.replaceChildren(head, h('div', { class: 'prep-grid' }, formPanel, statusPanel), rest)

  const editors = []
  let copy = null // "Sao chép làm mẫu", for a past meeting
  const editable = () => isNew || PREPARABLE.has(state.meeting?.status)

  // -- the meeting form --------------------------------------------------------

  const input = (name, attrs = {}) => h('input', { id: `m-${name}`, name, 'data-key': `m-${name}`, ...attrs })
  const fields = {
    title: input('title', { required: true, maxlength: 300 }),
    starts_date: input('starts_date', { required: true, inputmode: 'numeric', placeholder: 'dd/mm/yyyy', autocomplete: 'off', size: 10 }),
    starts_time: input('starts_time', { required: true, inputmode: 'numeric', placeholder: 'hh:mm', autocomplete: 'off', size: 5 }),
    ends_time: input('ends_time', { inputmode: 'numeric', placeholder: 'hh:mm', autocomplete: 'off', size: 5 }),
    kind: h('select', { id: 'm-kind', name: 'kind', 'data-key': 'm-kind' }),
    confidentiality: h('select', { id: 'm-confidentiality', name: 'confidentiality', 'data-key': 'm-confidentiality' }),
    quorum_rule: h('select', { id: 'm-quorum_rule', name: 'quorum_rule', 'data-key': 'm-quorum_rule' }),
    room_id: h('select', { id: 'm-room_id', name: 'room_id', 'data-key': 'm-room_id' }),
    allow_proxy: input('allow_proxy', { type: 'checkbox', 'aria-describedby': 'm-allow_proxy-hint' }),
  }

  function fillForm() {
    const m = state.meeting ?? {}
    fields.title.value = m.title ?? ''
    fields.starts_date.value = dateField(m.starts_at)
    fields.starts_time.value = timeField(m.starts_at)
    fields.ends_time.value = timeField(m.ends_at)
    fields.allow_proxy.checked = Boolean(m.allow_proxy)
    const options = (select, values, prefix, current) =>
      select.replaceChildren(...values.map((v) => h('option', { value: v, selected: v === current }, label(prefix, v))))
    options(fields.kind, KINDS, 'kind', m.kind ?? 'regular')
    options(fields.confidentiality, CONFIDENTIALITY, 'confidentiality', m.confidentiality ?? 'internal')
    options(fields.quorum_rule, QUORUM_RULES, 'quorumRule', m.quorum_rule ?? 'half')
    fields.room_id.replaceChildren(
      h('option', { value: '' }, t('prepare.noRoom')),
      ...state.rooms.map((r) => h('option', { value: String(r.id), selected: String(r.id) === String(m.room_id) }, r.name)),
    )
  }

  async function save(e) {
    e.preventDefault()
    const starts = fromFields(fields.starts_date.value, fields.starts_time.value)
    const ends = fields.ends_time.value.trim() ? fromFields(fields.starts_date.value, fields.ends_time.value) : null
    if (!fields.title.value.trim() || !starts || (fields.ends_time.value.trim() && !ends)) {
      state.formNotice = { kind: 'error', text: t('prepare.required') }
      renderForm()
      return
    }
    const body = {
      title: fields.title.value.trim(),
      starts_at: starts,
      kind: fields.kind.value,
      confidentiality: fields.confidentiality.value,
      allow_proxy: fields.allow_proxy.checked,
    }
    if (ends) body.ends_at = ends
    if (fields.room_id.value) body.room_id = Number(fields.room_id.value)
    state.formNotice = { kind: 'ok', text: t('meeting.sending') }
    renderForm()
    try {
      if (isNew) {
        const { meeting } = await createMeeting(body)
        location.hash = `#/prepare/${meeting.id}`
        return
      }
      body.quorum_rule = fields.quorum_rule.value
      await updateMeeting(id, body)
      // Read back whole: the notice period follows the new date.
      await reload()
      // Saved as asked, but a date already past is most likely a slip.
      const past = Date.parse(starts) < Date.now() && ['draft', 'invited'].includes(state.meeting.status)
      state.formNotice = past ? { kind: 'error', text: `${t('prepare.saved')} ${t('prepare.pastDate')}` } : { kind: 'ok', text: t('prepare.saved') }
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.formNotice = { kind: 'error', text: errorMessage(err) }
    }
    renderHead()
    renderForm()
    renderStatus()
  }

  function renderForm() {
    const field = (name, text, hint) =>
      h('div', { class: 'field' }, h('label', { for: `m-${name}` }, text), fields[name], hint ? h('p', { class: 'meta small' }, hint) : null)
    const disabled = !editable()
    for (const f of Object.values(fields)) f.disabled = disabled
    replaceContent(
      formPanel,
      h('h2', { id: 'p-meeting' }, t('prepare.meeting')),
      h(
        'form',
        { class: 'prep-form', onsubmit: save, novalidate: true },
        field('title', t('prepare.title')),
        h(
          'div',
          { class: 'row' },
          field('starts_date', t('prepare.date'), t('prepare.dateHint')),
          field('starts_time', t('prepare.startsAt'), t('prepare.timeHint')),
          field('ends_time', t('prepare.endsAt'), t('prepare.timeHint')),
        ),
        h('div', { class: 'row' }, field('kind', t('prepare.kind')), field('confidentiality', t('prepare.confidentiality'))),
        h('div', { class: 'row' }, field('room_id', t('prepare.room')), isNew ? null : field('quorum_rule', t('prepare.quorumRule'))),
        h(
          'div',
          { class: 'field' },
          h('label', { class: 'check', for: 'm-allow_proxy' }, fields.allow_proxy, t('prepare.allowProxy')),
          h('p', { id: 'm-allow_proxy-hint', class: 'meta small' }, t('prepare.allowProxyHint')),
        ),
        notice(state.formNotice),
        editable() ? h('button', { type: 'submit', class: 'primary', 'data-key': 'm-save' }, isNew ? t('prepare.create') : t('prepare.save')) : h('p', { class: 'meta' }, t('prepare.locked')),
      ),
    )
  }

  // -- status and invitations --------------------------------------------------------

  // Sending makes and sends the letter: asked first, and only with a chair
  // to name and sign it (the server refuses it too, 409).
  async function send() {
    const m = state.meeting
    const yes = await confirmDialog({
      title: t('confirm.sendTitle', { title: m.title }),
      body: [t('confirm.sendBody', { count: (m.participants ?? []).filter((p) => INVITED.has(p.role)).length }), m.notice?.message],
      confirm: t('confirm.sendYes'),
      danger: false,
    })
    if (yes) await move('invited')
  }

  async function move(to) {
    state.statusNotice = null
    state.warnings = []
    // Opening before the session window asks first, as the chair's console does.
    let extra = {}
    if (to === 'in_session' && isEarly(state.meeting.starts_at)) {
      const yes = await confirmDialog({
        title: t('console.openEarlyTitle'),
        body: [t('console.openEarlyBody', { time: formatDateTime(state.meeting.starts_at), left: timeUntilStart(state.meeting.starts_at) }), t('console.openEarlyWhat')],
        confirm: t('console.openEarlyYes'),
        danger: false,
      })
      if (!yes) return
      extra = { early: true }
    }
    try {
      const result = await setStatus(id, to, extra)
      state.meeting.status = result.status
      state.warnings = result.warnings ?? []
      state.statusNotice = { kind: 'ok', text: t(`prepare.moved.${to}`) }
      await reload()
      ensureCopy()
      renderHead()
      renderForm()
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.statusNotice = { kind: 'error', text: errorMessage(err) }
    }
    renderStatus()
  }

  function renderStatus() {
    if (isNew) {
      statusPanel.hidden = true
      return
    }
    const m = state.meeting
    const next = NEXT[m.status] ?? []
    const noChair = next.includes('invited') && !hasChair(m)
    replaceContent(
      statusPanel,
      h('h2', { id: 'p-status' }, t('prepare.status')),
      h('p', { class: 'state', 'data-status': m.status }, label('status', m.status)),
      noChair ? h('p', { class: 'callout warn', role: 'status', id: 'p-no-chair', 'data-key': 'no-chair' }, t('prepare.noChair')) : null,
      h(
        'div',
        { class: 'row' },
        next.map((to) =>
          to === 'invited'
            ? h('button', { type: 'button', class: 'primary', 'data-key': 'to-invited', disabled: noChair, 'aria-describedby': noChair ? 'p-no-chair' : null, onclick: send }, t('prepare.to.invited'))
            : h('button', { type: 'button', 'data-key': `to-${to}`, onclick: () => move(to) }, t(`prepare.to.${to}`)),
        ),
      ),
      notice(state.statusNotice),
      noticeBox(m.notice),
      m.invitation ? h('p', {}, h('a', { href: invitationPdfUrl(id), target: '_blank', rel: 'noopener', 'data-key': 'invitation-pdf' }, t('prepare.invitationPdf', { version: m.invitation.version }))) : null,
      h('p', {}, h('a', { href: `#/meeting/${encodeURIComponent(id)}?tab=console`, 'data-key': 'open-live' }, t('prepare.openLive'))),
      isPast(m)
        ? h(
            'div',
            { class: 'after-links' },
            h('p', {}, h('a', { href: `#/minutes/${encodeURIComponent(id)}`, 'data-key': 'record' }, t('record.linkLong'))),
            mayExport(m) ? h('p', {}, exportLink(id)) : null,
          )
        : null,
      copy ? copy.el : null,
      (m.transitions ?? []).length
        ? h('details', {}, h('summary', {}, t('prepare.history')), h('ul', {}, m.transitions.map((tr) => h('li', {}, `${formatDateTime(tr.at)}: ${label('status', tr.from)} → ${label('status', tr.to)}`))))
        : null,
    )
  }

  function renderHead() {
    const title = isNew ? t('prepare.newMeeting') : state.meeting?.title ?? t('app.loading')
    // No meeting title: the browser's history list keeps titles after logout.
    document.title = `${t('prepare.docTitle')} – ${t('app.name')}`
    replaceContent(
      head,
      h('nav', { class: 'crumbs', 'aria-label': t('meeting.back') }, h('a', { href: '#/', 'data-key': 'back' }, '← ', t('meeting.back'))),
      h('h1', {}, isNew ? t('prepare.newMeeting') : t('prepare.heading', { title })),
      state.meeting ? h('p', { class: 'meta' }, formatDateTime(state.meeting.starts_at), ' · ', label('status', state.meeting.status)) : null,
      state.error ? h('p', { class: 'error', role: 'alert' }, errorMessage(state.error)) : null,
    )
  }

  function ensureCopy() {
    if (!isNew && !copy && isPast(state.meeting) && mayCopy(ctx.user)) {
      copy = createCopyForm({ meeting: state.meeting, unauthorized: ctx.unauthorized })
    }
  }

  async function reload() {
    const { meeting } = await getMeeting(id)
    state.meeting = meeting
    for (const e of editors) e.setMeeting(meeting, editable())
  }

  async function load() {
    try {
      state.rooms = (await listRooms()).rooms ?? []
    } catch {
      state.rooms = [] // a meeting needs no room
    }
    if (!isNew) {
      try {
        await reload()
      } catch (err) {
        if (err.status === 401) return ctx.unauthorized()
        state.error = err
        renderHead()
        return
      }
    }
    if (!alive) return
    ensureCopy()
    if (!isNew && !editors.length) {
      // The people editor tells who takes part now: whether there is a chair.
      const peopleChanged = (people) => {
        if (!state.meeting || JSON.stringify(people) === JSON.stringify(state.meeting.participants)) return
        state.meeting.participants = people
        renderStatus()
      }
      const api = { meetingId: id, reload: async () => { await reload(); renderAll() }, unauthorized: ctx.unauthorized, peopleChanged }
      editors.push(createAgendaEditor(api), createDocumentsEditor(api), createPeopleEditor(api))
      rest.replaceChildren(...editors.map((e) => e.el))
      for (const e of editors) e.setMeeting(state.meeting, editable())
    }
    fillForm()
    renderAll()
  }

  function renderAll() {
    renderHead()
    renderForm()
    renderStatus()
  }

  const offLang = onLangChange(() => {
    fillForm()
    copy?.render()
    renderAll()
    for (const e of editors) e.render()
  })
  renderHead()
  load()
  return {
    destroy() {
      alive = false
      offLang()
      for (const e of editors) e.destroy?.()
    },
  }
}
