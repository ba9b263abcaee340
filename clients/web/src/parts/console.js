// The chair's console (and the parts of it the secretary uses): session,
// quorum, presenting, speakers, polls, the projector's message and
// countdown, attendance. Everything here is an intent; the room shows the
// result.

import { h, replaceContent } from '../../../shared/dom.js'
import { sessionState, openPoll, sameId, currentIndex, proxyList, personName } from '../../../shared/room.js'
import { POLL_RULES, POLL_KINDS, optionLabels, defaultOptions } from '../../../shared/polls.js'
import { countdown, formatSeconds } from '../../../shared/timer.js'
import { t, label } from '../../../shared/i18n/index.js'
import { formatTime, formatDateTime } from '../../../shared/time.js'
import { confirmDialog } from '../../../shared/confirm.js'
import { isEarly, timeUntilStart } from '../../../shared/checkin.js'
import { createCheckinQr, showPersonalCode, projectorToggle } from './checkin-qr.js'
import { createSpeakingTime, minutesInput, minutesField } from './speaking-time.js'
import { presentControl, presenterControl, clampPage, panControl } from './present.js'
import { floorLine } from './speak.js'
import { resultView } from './ballot.js'

const SESSION_ACTIONS = {
  not_started: [['session.open', 'primary']],
  open: [['session.suspend', ''], ['session.close', 'danger']],
  suspended: [['session.resume', 'primary'], ['session.close', 'danger']],
  closed: [],
}

export function createConsole({ role, act, documents, meetingId }) {
  const state = {
    room: null,
    confirmClose: false,
    confirmCancel: null, // id of the open poll the chair asked to cancel
    selection: { document: null, page: 1, zoom: 1, fit: 'height', edited: false },
    pollKind: 'named',
    pollRule: 'present_majority',
    pollChange: false,
    pollReceipts: true,
    absent: new Map(), // user id -> reason input, once "absent" was pressed
    filter: '',
    missingOnly: false,
    codeError: '',
  }
  const chair = () => role() === 'chair'
  const checkinQr = createCheckinQr({ meetingId })
  const speakingTime = createSpeakingTime({ act })

  // Inputs kept across renders, so what is being typed survives room updates.
  const pollQuestion = h('input', { id: 'poll-question', 'data-key': 'poll-question', maxlength: 500 })
  const pollOptions = h('textarea', { id: 'poll-options', 'data-key': 'poll-options', rows: 3, placeholder: defaultOptions().join('\n') })
  const displayText = h('input', { id: 'display-text', 'data-key': 'display-text', maxlength: 160 })
  const countdownMinutes = minutesInput('countdown-min', { value: '5' })
  const countdownLabel = h('input', { id: 'countdown-label', 'data-key': 'countdown-label', maxlength: 100 })

  const filterInput = h('input', {
    id: 'att-filter',
    'data-key': 'att-filter',
    type: 'search',
    placeholder: t('console.filter'),
    oninput: (e) => {
      state.filter = e.target.value
      renderAttendance()
    },
  })

  const el = h('div', { class: 'console' })
  const sections = {
    session: h('section', { class: 'panel', 'aria-labelledby': 'c-session' }),
    present: h('section', { class: 'panel', 'aria-labelledby': 'c-present' }),
    speakers: h('section', { class: 'panel', 'aria-labelledby': 'c-speakers' }),
    polls: h('section', { class: 'panel', 'aria-labelledby': 'c-polls' }),
    proxies: h('section', { class: 'panel', 'aria-labelledby': 'c-proxies', hidden: true }),
    display: h('section', { class: 'panel', 'aria-labelledby': 'c-display' }),
    attendance: h('section', { class: 'panel wide', 'aria-labelledby': 'c-attendance' }),
  }
  const floorSlot = h('div', { class: 'floor-slot' })

  function layout(extra = []) {
    const parts = chair()
      ? [sections.session, sections.speakers, sections.polls, sections.proxies, sections.present, sections.display, ...extra, sections.attendance]
      : [sections.session, sections.display, sections.proxies, ...extra, sections.attendance]
    el.replaceChildren(...parts)
  }

  // -- session and quorum ------------------------------------------------------

  function renderSession() {
    const room = state.room
    const s = sessionState(room)
    const q = room.quorum ?? {}
    const actions = chair() ? SESSION_ACTIONS[s] ?? [] : []
    const items = room.agenda
    const index = currentIndex(room)
    replaceContent(
      sections.session,
      h('h2', { id: 'c-session' }, t('console.session')),
      h('p', { class: 'state', 'data-state': s }, t('console.state', { state: label('session', s) })),
      quorumLine(q),
      chair() && !state.confirmClose
        ? h(
            'div',
            { class: 'row' },
            actions.map(([intent, cls]) =>
              h('button', {
                type: 'button',
                class: cls,
                'data-key': intent,
                onclick: () => (intent === 'session.close' ? confirmClose() : intent === 'session.open' ? openSession() : act(intent, {})),
              }, t(`console.${intent}`)),
            ),
          )
        : null,
      chair() && state.confirmClose
        ? h(
            'div',
            { class: 'confirm', role: 'alertdialog', 'aria-labelledby': 'close-q' },
            h('p', { id: 'close-q' }, t('console.closeConfirm')),
            h(
              'div',
              { class: 'row' },
              h('button', { type: 'button', class: 'danger', 'data-key': 'close-yes', onclick: () => { state.confirmClose = false; act('session.close', {}) } }, t('console.session.close')),
              h('button', { type: 'button', 'data-key': 'close-no', onclick: () => { state.confirmClose = false; renderSession() } }, t('annotate.cancel')),
            ),
          )
        : null,
      chair() && items.length
        ? h(
            'div',
            { class: 'row', role: 'group', 'aria-label': t('meeting.agenda') },
            h('button', { type: 'button', 'data-key': 'c-prev', disabled: index <= 0, onclick: () => act('agenda.goto', { step: -1 }) }, '← ', t('meeting.prev')),
            h('button', { type: 'button', class: 'primary', 'data-key': 'c-next', disabled: index >= items.length - 1, onclick: () => act('agenda.goto', { step: 1 }) }, t('meeting.next'), ' →'),
            h('span', { class: 'meta' }, index >= 0 ? `${index + 1}/${items.length}: ${items[index].title}` : t('meeting.notStarted')),
          )
        : null,
    )
  }

  /** Before the session window the chair confirms; the server requires `early: true`. */
  async function openSession() {
    const startsAt = state.room.meeting?.starts_at
    if (!isEarly(startsAt)) {
      act('session.open', {})
      return
    }
    const yes = await confirmDialog({
      title: t('console.openEarlyTitle'),
      body: [t('console.openEarlyBody', { time: formatDateTime(startsAt), left: timeUntilStart(startsAt) }), t('console.openEarlyWhat')],
      confirm: t('console.openEarlyYes'),
      danger: false,
    })
    if (yes) act('session.open', { early: true })
  }

  function confirmClose() {
    state.confirmClose = true
    renderSession()
    sections.session.querySelector('[data-key="close-yes"]')?.focus()
  }

  // -- presenting ------------------------------------------------------------------

  function followPresenting() {
    const p = state.room.presenting
    if (state.selection.edited) return
    if (p.document !== null && p.document !== undefined) {
      state.selection = { document: p.document, page: p.page ?? 1, zoom: p.zoom ?? 1, fit: p.fit ?? 'height', edited: false }
    } else if (state.selection.document === null && documents().length) {
      state.selection = { document: documents()[0].id, page: 1, zoom: 1, fit: 'height', edited: false }
    }
  }

  async function present(document, page, zoom, fit = state.selection.fit) {
    state.selection = { document, page, zoom, fit, edited: true }
    if (await act('present.page', { document: Number(document), page, zoom, fit })) state.selection.edited = false
    renderPresent()
  }

  function renderPresent() {
    if (!chair()) return
    const room = state.room
    followPresenting()
    const docs = documents()
    replaceContent(
      sections.present,
      h('h2', { id: 'c-present' }, t('console.present')),
      presenterControl({ people: room.people, presenter: room.presenting.presenter, busy: false, onSet: (user) => act('presenter.set', { user }) }),
      presentControl({
        documents: docs,
        selection: state.selection,
        busy: false,
        onEdit: (selection) => {
          const changedDoc = !sameId(selection.document, state.selection.document)
          state.selection = { ...selection, edited: true }
          if (changedDoc) renderPresent()
        },
        onPresent: present,
        onStep: (delta) => {
          const p = room.presenting
          const sel = state.selection
          const base = sameId(p.document, sel.document) ? p.page : sel.page
          const d = docs.find((x) => sameId(x.id, sel.document)) ?? docs[0]
          if (d) present(d.id, clampPage((Number(base) || 1) + delta, d.page_count), sel.zoom)
        },
      }),
      // The zoomed page on the wall: the same page, zoom and fit, another part.
      panControl({
        presenting: room.presenting,
        busy: false,
        onPan: (point) => {
          const p = room.presenting
          act('present.page', { document: Number(p.document), page: Number(p.page), zoom: Number(p.zoom) || 1, fit: p.fit ?? 'height', ...point })
        },
      }),
    )
  }

  // -- speakers -------------------------------------------------------------------------

  function renderFloor() {
    if (!state.room) return
    const floor = state.room.floor
    replaceContent(
      floorSlot,
      floorLine(floor),
      floor && chair()
        ? h('div', { class: 'row' }, speakingTime.extendButtons(floor), h('button', { type: 'button', 'data-key': 'floor-end', onclick: () => act('speaker.end', {}) }, t('console.endSpeech')))
        : null,
    )
  }

  function move(queue, index, delta) {
    const order = queue.map((e) => e.id)
    const [id] = order.splice(index, 1)
    order.splice(index + delta, 0, id)
    act('speaker.reorder', { order })
  }

  function renderSpeakers() {
    if (!chair()) return
    const { queue } = state.room
    const open = sessionState(state.room) === 'open'
    renderFloor()
    replaceContent(
      sections.speakers,
      h('h2', { id: 'c-speakers' }, t('console.speakers')),
      floorSlot,
      speakingTime.controls(state.room),
      h('h3', {}, t('console.queue', { count: queue.length })),
      queue.length
        ? h(
            'ol',
            { class: 'queue' },
            queue.map((entry, i) =>
              h(
                'li',
                { 'data-request': entry.id, class: entry.kind === 'point_of_order' ? 'order' : '' },
                h('span', { class: 'who' }, entry.name, ' ', h('span', { class: 'tag' }, t(`speak.kind.${entry.kind}`)), ' ', h('span', { class: 'meta' }, formatTime(entry.at))),
                h(
                  'span',
                  { class: 'actions' },
                  h('button', { type: 'button', class: 'primary', 'data-key': `grant-${entry.id}`, disabled: !open, onclick: () => act('speaker.grant', speakingTime.grantArgs(entry.id)) }, t('console.grant')),
                  h('button', { type: 'button', 'data-key': `up-${entry.id}`, 'aria-label': t('console.up', { name: entry.name }), disabled: i === 0, onclick: () => move(queue, i, -1) }, '↑'),
                  h('button', { type: 'button', 'data-key': `down-${entry.id}`, 'aria-label': t('console.down', { name: entry.name }), disabled: i === queue.length - 1, onclick: () => move(queue, i, 1) }, '↓'),
                  h('button', { type: 'button', 'data-key': `remove-${entry.id}`, 'aria-label': t('console.remove', { name: entry.name }), onclick: () => act('speaker.withdraw', { request: entry.id }) }, t('console.removeShort')),
                ),
              ),
            ),
          )
        : h('p', { class: 'meta' }, t('console.queueEmpty')),
    )
  }

  // -- polls -----------------------------------------------------------------------------

  async function openNewPoll(e) {
    e.preventDefault()
    const question = pollQuestion.value.trim()
    if (!question) {
      pollQuestion.focus()
      return
    }
    const options = pollOptions.value.split('\n').map((o) => o.trim()).filter(Boolean)
    const args = { question, kind: state.pollKind, rule: state.pollRule, allow_change: state.pollChange }
    if (state.pollKind === 'secret') args.receipts = state.pollReceipts
    if (options.length >= 2) args.options = options
    if (await act('poll.open', args)) {
      pollQuestion.value = ''
      pollOptions.value = ''
    }
  }

  function confirmCancel(poll) {
    state.confirmCancel = poll.id
    renderPolls()
    // The safe answer first: Enter on a held key does not cancel a vote.
    sections.polls.querySelector('[data-key="poll-cancel-no"]')?.focus()
  }

  async function cancelPoll(poll) {
    state.confirmCancel = null
    renderPolls()
    await act('poll.cancel', { poll: Number(poll.id) })
    sections.polls.querySelector('[data-key="poll-open"], [data-key="poll-cancel"]')?.focus()
  }

  function renderPolls() {
    if (!chair()) return
    const room = state.room
    const current = openPoll(room)
    if (!current || !sameId(current.id, state.confirmCancel)) state.confirmCancel = null
    const closed = room.polls.filter((p) => p.status === 'closed' || p.status === 'cancelled').reverse()
    const members = room.quorum?.members
    replaceContent(
      sections.polls,
      h('h2', { id: 'c-polls' }, t('console.polls')),
      current
        ? h(
            'div',
            { class: 'open-poll', 'data-poll': current.id },
            h('p', { class: 'question' }, current.question),
            h('p', { class: 'meta' }, t(`poll.kind.${current.kind === 'secret' ? 'secret' : 'named'}`), ' · ', optionLabels(current).join(' / ')),
            h('p', { class: 'cast-count', role: 'status' }, members ? t('console.castOf', { count: current.cast ?? 0, members }) : t('poll.castCount', { count: current.cast ?? 0 })),
            sameId(state.confirmCancel, current.id)
              ? h(
                  'div',
                  { class: 'confirm', role: 'alertdialog', 'aria-labelledby': 'cancel-q', 'aria-describedby': 'cancel-d' },
                  h('p', { id: 'cancel-q', class: 'big-text' }, t('console.cancelConfirm')),
                  h('p', { id: 'cancel-d' }, t('console.cancelWhat')),
                  h(
                    'div',
                    { class: 'row' },
                    h('button', { type: 'button', class: 'danger', 'data-key': 'poll-cancel-yes', onclick: () => cancelPoll(current) }, t('console.cancelPoll')),
                    h('button', { type: 'button', 'data-key': 'poll-cancel-no', onclick: () => { state.confirmCancel = null; renderPolls(); sections.polls.querySelector('[data-key="poll-cancel"]')?.focus() } }, t('console.cancelKeep')),
                  ),
                )
              : h(
                  'div',
                  { class: 'row' },
                  h('button', { type: 'button', class: 'danger', 'data-key': 'poll-close', onclick: () => act('poll.close', { poll: Number(current.id) }) }, t('console.closePoll')),
                  h('button', { type: 'button', 'data-key': 'poll-cancel', onclick: () => confirmCancel(current) }, t('console.cancelPoll')),
                ),
          )
        : h(
            'form',
            { class: 'poll-form', onsubmit: openNewPoll },
            h('div', { class: 'field' }, h('label', { for: 'poll-question' }, t('console.question')), pollQuestion),
            h('div', { class: 'field' }, h('label', { for: 'poll-options' }, t('console.options')), pollOptions, h('p', { class: 'meta small' }, t('console.optionsHint'))),
            h(
              'div',
              { class: 'row' },
              h(
                'div',
                { class: 'field' },
                h('label', { for: 'poll-kind' }, t('console.kind')),
                h('select', { id: 'poll-kind', 'data-key': 'poll-kind', onchange: (e) => { state.pollKind = e.target.value } },
                  POLL_KINDS.map((k) => h('option', { value: k, selected: state.pollKind === k }, t(`poll.kind.${k}`)))),
              ),
              h(
                'div',
                { class: 'field' },
                h('label', { for: 'poll-rule' }, t('console.rule')),
                h('select', { id: 'poll-rule', 'data-key': 'poll-rule', onchange: (e) => { state.pollRule = e.target.value } },
                  POLL_RULES.map((r) => h('option', { value: r, selected: state.pollRule === r }, t(`poll.rule.${r}`)))),
              ),
            ),
            h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-key': 'poll-change', checked: state.pollChange, onchange: (e) => { state.pollChange = e.target.checked } }), t('console.allowChange')),
            // A receipt lets a voter check their ballot, and prove it to whoever presses them.
            h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-key': 'poll-receipts', checked: state.pollReceipts, onchange: (e) => { state.pollReceipts = e.target.checked } }), t('console.receipts')),
            h('button', { type: 'submit', class: 'primary', 'data-key': 'poll-open', disabled: sessionState(room) !== 'open' }, t('console.openPoll')),
          ),
      closed.length
        ? h(
            'div',
            { class: 'closed-polls' },
            h('h3', {}, t('console.results')),
            closed.map((p) =>
              h(
                'div',
                { class: 'closed-poll', 'data-poll': p.id },
                h('p', { class: 'question' }, p.question),
                p.status === 'cancelled' ? h('p', { class: 'meta', 'data-status': 'cancelled' }, t('poll.cancelled')) : resultView(p),
                Array.isArray(p.named) && p.named.length
                  ? h(
                      'details',
                      {},
                      h('summary', {}, t('console.named', { count: p.named.length })),
                      h('ul', { class: 'named' }, p.named.map((n) => h('li', {}, `${n.name}: ${optionLabels(p)[n.choice] ?? n.choice}`, n.by !== undefined && n.by !== null && !sameId(n.by, n.user) ? ` (${t('console.castBy', { name: personName(room, n.by, `#${n.by}`) })})` : ''))),
                    )
                  : null,
              ),
            ),
          )
        : null,
    )
  }

  // -- proxies ------------------------------------------------------------------------------

  function renderProxies() {
    const room = state.room
    const on = Boolean(room.settings?.allow_proxy)
    sections.proxies.hidden = !on
    if (!on) {
      sections.proxies.replaceChildren()
      return
    }
    const pending = proxyList(room, 'requested')
    const approved = proxyList(room, 'approved')
    const open = sessionState(room) !== 'closed'
    const line = (p) => t('console.proxyLine', { from: p.name, to: p.to_name })
    replaceContent(
      sections.proxies,
      h('h2', { id: 'c-proxies' }, t('console.proxies')),
      h('h3', {}, t('console.proxyPending', { count: pending.length })),
      pending.length
        ? h(
            'ul',
            { class: 'queue proxy-requests' },
            pending.map((p) =>
              h(
                'li',
                { 'data-proxy-from': p.member },
                h('span', { class: 'who' }, line(p), ' ', h('span', { class: 'meta' }, formatTime(p.at))),
                chair()
                  ? h(
                      'span',
                      { class: 'actions' },
                      h('button', { type: 'button', class: 'primary', 'data-key': `proxy-approve-${p.member}`, 'aria-label': t('console.proxyApproveFor', { from: p.name, to: p.to_name }), disabled: !open, onclick: () => act('proxy.decide', { from: Number(p.member), approve: true }) }, t('console.proxyApprove')),
                      h('button', { type: 'button', class: 'danger', 'data-key': `proxy-refuse-${p.member}`, 'aria-label': t('console.proxyRefuseFor', { from: p.name, to: p.to_name }), disabled: !open, onclick: () => act('proxy.decide', { from: Number(p.member), approve: false }) }, t('console.proxyRefuse')),
                    )
                  : null,
              ),
            ),
          )
        : h('p', { class: 'meta' }, t('console.proxyNone')),
      approved.length
        ? [
            h('h3', {}, t('console.proxyApproved', { count: approved.length })),
            h('ul', { class: 'proxy-approved' }, approved.map((p) => h('li', { 'data-proxy-from': p.member }, line(p)))),
          ]
        : null,
    )
  }

  // -- display ------------------------------------------------------------------------------

  function renderDisplay() {
    const d = state.room.display ?? {}
    const c = d.countdown_start && d.countdown_s ? countdown(d.countdown_start, d.countdown_s) : null
    replaceContent(
      sections.display,
      h('h2', { id: 'c-display' }, t('console.display')),
      h(
        'form',
        {
          class: 'row end',
          onsubmit: (e) => {
            e.preventDefault()
            if (displayText.value.trim()) act('display.message', { text: displayText.value.trim() })
          },
        },
        h('div', { class: 'field grow' }, h('label', { for: 'display-text' }, t('console.message')), displayText),
        h('button', { type: 'submit', class: 'primary', 'data-key': 'display-show' }, t('console.show')),
        d.message ? h('button', { type: 'button', 'data-key': 'display-clear', onclick: () => act('display.message', { text: null }) }, t('console.clear')) : null,
      ),
      d.message ? h('p', { class: 'meta' }, t('console.showing', { text: d.message })) : null,
      projectorToggle(state.room, act),
      h(
        'form',
        {
          class: 'row end',
          onsubmit: (e) => {
            e.preventDefault()
            const seconds = minutesField(countdownMinutes, { max: 240 })
            if (seconds) act('display.countdown', { seconds, label: countdownLabel.value.trim() || undefined })
          },
        },
        h('div', { class: 'field' }, h('label', { for: 'countdown-min' }, t('console.minutes')), countdownMinutes),
        h('div', { class: 'field grow' }, h('label', { for: 'countdown-label' }, t('console.countdownLabel')), countdownLabel),
        h('button', { type: 'submit', 'data-key': 'countdown-start' }, t('console.startCountdown')),
        c ? h('button', { type: 'button', 'data-key': 'countdown-clear', onclick: () => act('display.countdown', { seconds: null }) }, t('console.clear')) : null,
      ),
      c ? h('p', { class: 'meta countdown-now' }, t('console.countdownNow', { time: formatSeconds(Math.max(0, c.remaining)) })) : null,
    )
  }

  // -- attendance -------------------------------------------------------------------------

  function markAbsent(p) {
    const input = state.absent.get(p.id)
    if (!input) {
      state.absent.set(p.id, h('input', { 'data-key': `reason-${p.id}`, 'aria-label': t('console.reasonFor', { name: p.name }), placeholder: t('console.reason'), maxlength: 500 }))
      renderAttendance()
      state.absent.get(p.id).focus()
      return
    }
    act('attendance.mark', { user: Number(p.id), present: false, reason: input.value.trim() || undefined }).then((ok) => {
      if (ok) {
        state.absent.delete(p.id)
        renderAttendance()
      }
    })
  }

  async function personalCode(p) {
    state.codeError = await showPersonalCode(meetingId, p)
    renderAttendance()
  }

  function renderAttendance() {
    const room = state.room
    const q = state.filter.trim().toLocaleLowerCase('vi')
    const everyone = Object.values(room.people)
      .filter((p) => p && p.role !== 'display')
      .sort((a, b) => String(a.name).localeCompare(String(b.name), 'vi'))
    const present = everyone.filter((p) => room.attendance[String(p.id)]?.present).length
    const people = everyone.filter(
      (p) =>
        (!q || String(p.name).toLocaleLowerCase('vi').includes(q) || String(p.unit ?? '').toLocaleLowerCase('vi').includes(q)) &&
        (!state.missingOnly || !room.attendance[String(p.id)]?.present),
    )
    replaceContent(
      sections.attendance,
      h('h2', { id: 'c-attendance' }, t('console.attendance')),
      h('p', { class: 'meta' }, t('console.attendanceCount', { present, count: everyone.length })),
      sessionState(room) === 'closed' ? null : checkinQr.el,
      state.codeError ? h('p', { class: 'error', role: 'alert' }, state.codeError) : null,
      h(
        'div',
        { class: 'row' },
        h('label', { for: 'att-filter', class: 'visually-hidden' }, t('console.filter')),
        filterInput,
        h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-key': 'att-missing', checked: state.missingOnly, onchange: (e) => { state.missingOnly = e.target.checked; renderAttendance() } }), t('console.missingOnly')),
      ),
      h(
        'table',
        { class: 'people' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('console.person')), h('th', { scope: 'col' }, t('console.status')), h('th', { scope: 'col' }, t('console.mark')))),
        h(
          'tbody',
          {},
          people.map((p) => {
            const a = room.attendance[String(p.id)]
            const reason = state.absent.get(p.id)
            return h(
              'tr',
              { 'data-user': p.id },
              h('th', { scope: 'row' }, p.name, h('span', { class: 'meta small' }, ` · ${label('role', p.role)}${p.unit ? ` · ${p.unit}` : ''}`)),
              h(
                'td',
                {},
                a?.present
                  ? h('span', { class: 'ok-text' }, t('console.presentAt', { time: formatTime(a.at) }))
                  : a
                    ? h('span', { class: 'warn-text' }, t('console.absent'), a.reason ? `: ${a.reason}` : '')
                    : h('span', { class: 'meta' }, t('console.unknown')),
              ),
              h(
                'td',
                { class: 'actions' },
                a?.present ? null : h('button', { type: 'button', 'data-key': `mark-${p.id}`, onclick: () => act('attendance.mark', { user: Number(p.id), present: true }) }, t('console.markPresent')),
                reason ?? null,
                h('button', { type: 'button', 'data-key': `absent-${p.id}`, onclick: () => markAbsent(p) }, t('console.markAbsent')),
                a?.present || sessionState(room) === 'closed' ? null : h('button', { type: 'button', 'data-key': `code-${p.id}`, 'aria-label': t('checkin.personalFor', { name: p.name }), onclick: () => personalCode(p) }, t('checkin.personal')),
              ),
            )
          }),
        ),
      ),
    )
  }

  function render() {
    // Placeholders are read once per render: a language switch reaches them too.
    filterInput.placeholder = t('console.filter')
    pollOptions.placeholder = defaultOptions().join('\n')
    if (!state.room) return
    renderSession()
    renderPresent()
    renderSpeakers()
    renderPolls()
    renderProxies()
    renderDisplay()
    renderAttendance()
  }

  return {
    el,
    layout,
    update(room) {
      state.room = room
      render()
    },
    tick() {
      renderFloor()
    },
    destroy() {
      checkinQr.destroy()
    },
  }
}

export function quorumLine(q) {
  if (!q || q.members === undefined) return null
  return h(
    'p',
    { class: q.met ? 'quorum met' : 'quorum not-met', 'data-met': String(Boolean(q.met)) },
    t(q.met ? 'quorum.met' : 'quorum.notMet', { present: q.present ?? 0, members: q.members ?? 0, required: q.required ?? 0 }),
  )
}
