// The ballot, when the chair opens a poll: choose, cast, and a clear
// confirmation. A secret poll's receipt is shown and kept in memory only
// (never in storage): it is gone with the page.

import { h, replaceContent } from '../../../shared/dom.js'
import { openPoll, lastClosedPoll } from '../../../shared/room.js'
import { optionLabels, results, outcome, formatShare } from '../../../shared/polls.js'
import { t, getLang, errorMessage } from '../../../shared/i18n/index.js'
import { formatTime } from '../../../shared/time.js'

export const VOTERS = new Set(['chair', 'delegate'])

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
    h(
      'ul',
      { class: 'bars' },
      rows.map((r) =>
        h(
          'li',
          {},
          h('span', { class: 'bar-label' }, r.label),
          h('span', { class: 'bar', style: `--share:${r.share}` }),
          h('span', { class: 'bar-count' }, t('poll.votes', { count: r.count, share: formatShare(r.share, getLang()) })),
        ),
      ),
    ),
  )
}

export function createBallot({ role, sendIntent }) {
  const state = { room: null, choice: new Map(), cast: new Map(), busy: false, error: '' }
  const el = h('section', { class: 'panel ballot', 'aria-labelledby': 'ballot-title', hidden: true })

  async function cast(poll) {
    const choice = state.choice.get(poll.id)
    if (choice === undefined || state.busy) return
    state.busy = true
    state.error = ''
    render()
    try {
      const args = { poll: Number(poll.id), choice }
      // Changing a secret ballot: the receipt names it (the server does not know whose it is).
      const before = state.cast.get(poll.id)
      if (poll.kind === 'secret' && before?.receipt) args.receipt = before.receipt
      const result = await sendIntent('vote.cast', args)
      state.cast.set(poll.id, { choice, receipt: result?.receipt ?? before?.receipt ?? null, at: Date.now() })
    } catch (err) {
      if (err.code === 'conflict' && !poll.allow_change) {
        state.cast.set(poll.id, { choice: null, receipt: null, at: null, already: true })
      }
      state.error = errorMessage(err)
    }
    state.busy = false
    render()
    el.querySelector('.confirmation, .error')?.focus?.()
  }

  function ballotForm(poll, labels) {
    const chosen = state.choice.get(poll.id)
    return h(
      'form',
      {
        class: 'ballot-form',
        onsubmit: (e) => {
          e.preventDefault()
          cast(poll)
        },
      },
      h(
        'fieldset',
        {},
        h('legend', { class: 'visually-hidden' }, poll.question),
        labels.map((label, i) =>
          h(
            'label',
            { class: chosen === i ? 'choice on' : 'choice' },
            h('input', {
              type: 'radio',
              name: `poll-${poll.id}`,
              value: String(i),
              'data-key': `choice-${i}`,
              checked: chosen === i,
              onchange: () => {
                state.choice.set(poll.id, i)
                render()
              },
            }),
            h('span', {}, label),
          ),
        ),
      ),
      h(
        'button',
        { type: 'submit', class: 'primary big', 'data-key': 'cast', disabled: chosen === undefined || state.busy },
        state.busy ? t('meeting.sending') : t('poll.cast'),
      ),
    )
  }

  function confirmation(poll, mine, labels) {
    if (mine.already) return h('p', { class: 'confirmation callout ok', tabindex: '-1', role: 'status' }, t('poll.alreadyCast'))
    return h(
      'div',
      { class: 'confirmation callout ok', tabindex: '-1', role: 'status', 'data-cast': 'true' },
      h('p', { class: 'big-text' }, '✓ ', t('poll.castDone', { choice: labels[mine.choice] ?? '', time: formatTime(mine.at) })),
      mine.receipt
        ? h(
            'div',
            { class: 'receipt' },
            h('p', {}, t('poll.receiptLabel')),
            h('p', { class: 'receipt-code', 'data-key': 'receipt' }, String(mine.receipt)),
            h('p', { class: 'meta' }, t('poll.receiptHint')),
          )
        : null,
    )
  }

  function render() {
    const room = state.room
    if (!room) return
    const poll = openPoll(room)
    const closed = poll ? null : lastClosedPoll(room)
    const mineClosed = closed && state.cast.get(closed.id)
    // After the close, the result stays for those who voted in it.
    const shown = poll ?? (mineClosed ? closed : null)
    el.hidden = !shown
    if (!shown) {
      el.replaceChildren()
      return
    }
    const labels = optionLabels(shown)
    const mine = state.cast.get(shown.id)
    const mayVote = VOTERS.has(role())
    const changeable = shown.status === 'open' && shown.allow_change && mine && !mine.already
    replaceContent(
      el,
      h('h2', { id: 'ballot-title' }, shown.status === 'open' ? t('poll.openTitle') : t('poll.closedTitle')),
      h('p', { class: 'question' }, shown.question),
      h(
        'p',
        { class: 'meta' },
        t(`poll.kind.${shown.kind === 'secret' ? 'secret' : 'named'}`),
        ' · ',
        t('poll.castCount', { count: shown.cast ?? 0 }),
      ),
      state.error ? h('p', { class: 'error', role: 'alert', tabindex: '-1' }, state.error) : null,
      mine ? confirmation(shown, mine, labels) : null,
      shown.status === 'open' && mayVote && (!mine || changeable)
        ? [changeable ? h('p', { class: 'meta' }, t('poll.mayChange')) : null, ballotForm(shown, labels)]
        : null,
      shown.status === 'open' && !mayVote ? h('p', { class: 'meta' }, t('poll.notVoter')) : null,
      shown.status === 'closed' ? resultView(shown) : null,
    )
  }

  return {
    el,
    update(room) {
      state.room = room
      render()
    },
  }
}
