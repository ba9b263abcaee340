// The ballot, when the chair opens a poll: choose, cast, and a clear
// confirmation. A secret poll's receipt is shown and kept in memory only
// (never in storage): it is gone with the page.
//
// Someone who holds an approved proxy (ủy quyền) gets a second ballot, "for"
// the member who handed their vote over (`vote.cast` with `for_user`); the
// member who handed it over gets none. After the close, a secret poll's
// receipts can be checked ("Kiểm tra phiếu", receipts.js).

import { h, replaceContent } from '../../../shared/dom.js'
import { openPoll, lastEndedPoll, ownProxy, proxyBallots, personName } from '../../../shared/room.js'
import { optionLabels, results, outcome, formatShare } from '../../../shared/polls.js'
import { basisView } from './poll-basis.js'
import { t, getLang, errorMessage } from '../../../shared/i18n/index.js'
import { formatTime } from '../../../shared/time.js'
import { openReceiptCheck } from './receipts.js'

export const VOTERS = new Set(['chair', 'delegate'])
const SELF = 'self'

/**
 * The server answers a second ballot with `conflict`, as it does a voter not
 * checked in or a vote handed over; only its message tells them apart. Any
 * other conflict keeps the form, with the server's message.
 */
const alreadyVoted = (err) =>
  err?.code === 'already_voted' || (err?.code === 'conflict' && /already counted|đã có phiếu/i.test(`${err.serverMessageEn ?? ''} ${err.serverMessage ?? ''}`))

/** The result of a closed poll as bars, for the laptop and the console. */
export function resultView(poll) {
  const rows = results(poll)
  const verdict = outcome(poll)
  return h(
    'div',
    { class: 'result-view' },
    verdict
      ? h('p', { class: `verdict ${verdict}`, 'data-outcome': verdict }, t(`poll.${verdict}`))
      : null,
    poll.quorum_met === false ? h('p', { class: 'warn-text' }, t('poll.noQuorum')) : null,
    basisView(poll),
    h(
      'ul',
      { class: 'bars' },
      rows.map((r) =>
        h(
          'li',
          { class: r.absent ? 'absent' : '' },
          h('span', { class: 'bar-label' }, r.label),
          h('span', { class: 'bar', style: `--share:${r.share}` }),
          h('span', { class: 'bar-count' }, t(r.absent ? 'poll.basis.members' : 'poll.votes', { count: r.count, share: formatShare(r.share, getLang()) })),
        ),
      ),
    ),
  )
}

/**
 * @param {object} o
 * @param {() => string} o.role
 * @param {object} o.user the caller
 * @param {(type, args) => Promise<object>} o.sendIntent
 */
export function createBallot({ role, user, sendIntent }) {
  // Keys "poll:self" or "poll:member" (a ballot cast for someone through a proxy).
  // dismissed: the ended poll whose result the person put away (it stays in the results panel).
  const state = { room: null, choice: new Map(), cast: new Map(), busy: new Set(), errors: new Map(), dismissed: null }
  const el = h('section', { class: 'panel ballot', 'aria-labelledby': 'ballot-title', hidden: true })
  const keyOf = (poll, forUser) => `${poll.id}:${forUser ?? SELF}`
  const suffix = (forUser) => (forUser === null ? '' : `-for-${forUser}`)

  async function cast(poll, forUser) {
    const key = keyOf(poll, forUser)
    const choice = state.choice.get(key)
    if (choice === undefined || state.busy.has(key)) return
    state.busy.add(key)
    state.errors.delete(key)
    render()
    try {
      const args = { poll: Number(poll.id), choice }
      if (forUser !== null) args.for_user = Number(forUser)
      // A change is named by who casts it; a secret one comes back with a new receipt.
      const before = state.cast.get(key)
      const result = await sendIntent('vote.cast', args)
      state.cast.set(key, { choice, receipt: result?.receipt ?? before?.receipt ?? null, at: Date.now() })
    } catch (err) {
      if (!poll.allow_change && alreadyVoted(err)) {
        state.cast.set(key, { choice: null, receipt: null, at: null, already: true })
      }
      state.errors.set(key, errorMessage(err))
    }
    state.busy.delete(key)
    render()
    el.querySelector(`[data-ballot="${forUser ?? SELF}"] :is(.confirmation, .error)`)?.focus?.()
  }

  function ballotForm(poll, labels, forUser) {
    const key = keyOf(poll, forUser)
    const chosen = state.choice.get(key)
    const busy = state.busy.has(key)
    return h(
      'form',
      {
        class: 'ballot-form',
        onsubmit: (e) => {
          e.preventDefault()
          cast(poll, forUser)
        },
      },
      h(
        'fieldset',
        {},
        h('legend', { class: 'visually-hidden' }, forUser === null ? poll.question : t('poll.forLegend', { name: personName(state.room, forUser), question: poll.question })),
        labels.map((label, i) =>
          h(
            'label',
            { class: chosen === i ? 'choice on' : 'choice' },
            h('input', {
              type: 'radio',
              name: `poll-${poll.id}${suffix(forUser)}`,
              value: String(i),
              'data-key': `choice-${i}${suffix(forUser)}`,
              checked: chosen === i,
              onchange: () => {
                state.choice.set(key, i)
                render()
              },
            }),
            h('span', {}, label),
          ),
        ),
      ),
      h(
        'button',
        { type: 'submit', class: 'primary big', 'data-key': `cast${suffix(forUser)}`, disabled: chosen === undefined || busy },
        busy ? t('meeting.sending') : forUser === null ? t('poll.cast') : t('poll.castFor', { name: personName(state.room, forUser) }),
      ),
    )
  }

  function confirmation(mine, labels, forUser) {
    if (mine.already) return h('p', { class: 'confirmation callout ok', tabindex: '-1', role: 'status' }, t(forUser === null ? 'poll.alreadyCast' : 'poll.alreadyCastFor', { name: personName(state.room, forUser) }))
    return h(
      'div',
      { class: 'confirmation callout ok', tabindex: '-1', role: 'status', 'data-cast': 'true' },
      h(
        'p',
        { class: 'big-text' },
        '✓ ',
        forUser === null
          ? t('poll.castDone', { choice: labels[mine.choice] ?? '', time: formatTime(mine.at) })
          : t('poll.castDoneFor', { name: personName(state.room, forUser), choice: labels[mine.choice] ?? '', time: formatTime(mine.at) }),
      ),
      mine.receipt
        ? h(
            'div',
            { class: 'receipt' },
            h('p', {}, forUser === null ? t('poll.receiptLabel') : t('poll.receiptLabelFor', { name: personName(state.room, forUser) })),
            h('p', { class: 'receipt-code', 'data-key': `receipt${suffix(forUser)}`, 'data-receipt': mine.receipt }, String(mine.receipt)),
            h('p', { class: 'meta' }, t('poll.receiptHint')),
          )
        : null,
    )
  }

  /** The ballots this person casts in the poll: their own (unless handed over) and one per proxy held. */
  function ballotsFor(poll) {
    const me = user?.id
    // Handed over: the server takes this member's ballot only from the holder.
    const handed = ownProxy(state.room, me)?.status === 'approved'
    const list = handed ? [] : [null]
    for (const p of proxyBallots(state.room, me)) list.push(p.member)
    // A ballot already cast stays visible even if the proxy was withdrawn since.
    for (const key of state.cast.keys()) {
      const [pollId, who] = key.split(':')
      if (pollId === String(poll.id) && who !== SELF && !list.includes(Number(who))) list.push(Number(who))
    }
    return list
  }

  function oneBallot(poll, labels, forUser, several) {
    const key = keyOf(poll, forUser)
    const mine = state.cast.get(key)
    const open = poll.status === 'open'
    const changeable = open && poll.allow_change && mine && !mine.already
    const error = state.errors.get(key)
    return h(
      'div',
      { class: forUser === null ? 'ballot-card' : 'ballot-card proxy', 'data-ballot': forUser ?? SELF },
      several
        ? h('h3', {}, forUser === null ? t('poll.ownBallot') : t('poll.forBallot', { name: personName(state.room, forUser) }))
        : null,
      error ? h('p', { class: 'error', role: 'alert', tabindex: '-1' }, error) : null,
      mine ? confirmation(mine, labels, forUser) : null,
      open && (!mine || changeable)
        ? [changeable ? h('p', { class: 'meta' }, t('poll.mayChange')) : null, ballotForm(poll, labels, forUser)]
        : null,
    )
  }

  /** What this person cast in a poll that is over: the receipts, for "Kiểm tra phiếu". */
  function receiptsOf(poll) {
    const labels = optionLabels(poll)
    const out = []
    for (const [key, mine] of state.cast) {
      const [pollId, who] = key.split(':')
      if (pollId !== String(poll.id) || !mine.receipt) continue
      const forUser = who === SELF ? null : Number(who)
      out.push({ receipt: mine.receipt, choice: mine.choice, option: labels[mine.choice] ?? '', forUser, name: forUser === null ? '' : personName(state.room, forUser) })
    }
    return out
  }

  const castIn = (poll) => [...state.cast.keys()].some((k) => k.startsWith(`${poll.id}:`))

  function render() {
    const room = state.room
    if (!room) return
    const poll = openPoll(room)
    const ended = poll ? null : lastEndedPoll(room)
    // After the close, the result stays for those who voted in it.
    const shown = poll ?? (ended && castIn(ended) && String(ended.id) !== state.dismissed ? ended : null)
    el.hidden = !shown
    el.dataset.poll = shown ? String(shown.id) : ''
    if (!shown) {
      el.replaceChildren()
      return
    }
    const labels = optionLabels(shown)
    const open = shown.status === 'open'
    const mayVote = VOTERS.has(role())
    const ballots = mayVote ? ballotsFor(shown) : []
    const handedTo = ownProxy(room, user?.id)
    const handed = mayVote && handedTo?.status === 'approved'
    const title = open ? t('poll.openTitle') : shown.status === 'cancelled' ? t('poll.cancelledTitle') : t('poll.closedTitle')
    replaceContent(
      el,
      h(
        'div',
        { class: 'ballot-head' },
        h('h2', { id: 'ballot-title' }, title),
        open
          ? null
          : h('button', {
              type: 'button',
              'data-key': 'ballot-hide',
              onclick: () => {
                state.dismissed = String(shown.id)
                render()
              },
            }, t('poll.hideResult')),
      ),
      h('p', { class: 'question' }, shown.question),
      h(
        'p',
        { class: 'meta' },
        t(`poll.kind.${shown.kind === 'secret' ? 'secret' : 'named'}`),
        ' · ',
        t('poll.castCount', { count: shown.cast ?? 0 }),
      ),
      handed && open ? h('p', { class: 'callout warn', 'data-key': 'handed' }, t('poll.handedOver', { name: handedTo.to_name || personName(room, handedTo.to) })) : null,
      ballots.map((forUser) => oneBallot(shown, labels, forUser, ballots.length > 1)),
      open && !mayVote ? h('p', { class: 'meta' }, t('poll.notVoter')) : null,
      shown.status === 'cancelled' ? h('p', { class: 'callout warn', 'data-key': 'poll-cancelled', role: 'status' }, t('poll.cancelled')) : null,
      shown.status === 'closed' ? resultView(shown) : null,
      shown.status === 'closed' && shown.kind === 'secret' && shown.receipts !== false
        ? h(
            'button',
            {
              type: 'button',
              class: 'primary',
              'data-key': 'check-receipts',
              onclick: () => openReceiptCheck({ poll: shown, own: receiptsOf(shown), restoreFocus: () => el.querySelector('[data-key="check-receipts"]')?.focus() }),
            },
            t('receipts.open'),
          )
        : null,
    )
  }

  return {
    el,
    receiptsOf,
    update(room) {
      state.room = room
      render()
    },
  }
}
