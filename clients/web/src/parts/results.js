// The polls that are over, for everyone in the meeting: the result, "Kiểm
// tra phiếu" for a secret poll, and the result as CSV or PDF when the server
// offers them. Export links appear only once `GET /api/polls/{id}` answered
// and the file itself answered 200 (asked when the person opens the poll, not
// for every laptop at the close): never a broken link.

import { h, replaceContent } from '../../../shared/dom.js'
import { endedPolls } from '../../../shared/room.js'
import { pollExportUrl, availableExports, EXPORT_FORMATS } from '../../../shared/api.js'
import { outcome } from '../../../shared/polls.js'
import { t } from '../../../shared/i18n/index.js'
import { resultView } from './ballot.js'
import { openReceiptCheck } from './receipts.js'

/**
 * @param {object} o
 * @param {(poll) => object[]} o.receiptsOf the caller's receipts in a poll (kept by the ballot)
 */
export function createResults({ receiptsOf }) {
  const state = { room: null, open: new Set(), exports: new Map() } // poll id -> {state, csv, pdf}
  const el = h('section', { class: 'panel results-panel', 'aria-labelledby': 'results-title', hidden: true })
  let alive = true

  async function probe(poll) {
    const id = String(poll.id)
    const known = state.exports.get(id)
    if (known && known.state !== 'none') return // ready, or being asked
    state.exports.set(id, { state: 'checking' })
    render()
    const found = await availableExports(poll.id)
    if (!alive) return
    state.exports.set(id, { state: found.csv || found.pdf ? 'ready' : 'none', ...found })
    render()
  }

  function exportsView(poll) {
    const entry = state.exports.get(String(poll.id)) ?? { state: 'idle' }
    return h(
      'div',
      { class: 'exports row tight', 'data-exports': entry.state },
      entry.state === 'checking' ? h('span', { class: 'meta', role: 'status' }, t('results.checking')) : null,
      entry.state === 'ready'
        ? EXPORT_FORMATS.filter((f) => entry[f]).map((f) =>
            h('a', { class: 'button', href: pollExportUrl(poll.id, f), download: '', 'data-key': `export-${f}-${poll.id}` }, t(`results.export.${f}`)),
          )
        : null,
    )
  }

  function pollView(poll) {
    const id = String(poll.id)
    const verdict = outcome(poll)
    const cancelled = poll.status === 'cancelled'
    const details = h(
      'details',
      { class: 'ended-poll', 'data-poll': id, 'data-status': poll.status, open: state.open.has(id) },
      h(
        'summary',
        { 'data-key': `result-${id}` },
        h('span', { class: 'question' }, poll.question),
        ' ',
        h('span', { class: `tag ${cancelled ? 'cancelled' : verdict}` }, cancelled ? t('results.cancelled') : verdict ? t(`poll.${verdict}`) : t('results.closed')),
      ),
      cancelled
        ? h('p', { class: 'meta' }, t('poll.cancelled'))
        : [
            h('p', { class: 'meta' }, t(`poll.kind.${poll.kind === 'secret' ? 'secret' : 'named'}`), ' · ', t('poll.castCount', { count: poll.cast ?? 0 })),
            resultView(poll),
            poll.kind === 'secret'
              ? h(
                  'button',
                  {
                    type: 'button',
                    'data-key': `check-receipts-${id}`,
                    onclick: () =>
                      openReceiptCheck({
                        poll,
                        own: receiptsOf(poll),
                        restoreFocus: () => el.querySelector(`[data-key="check-receipts-${id}"]`)?.focus(),
                      }),
                  },
                  t('receipts.open'),
                )
              : null,
            exportsView(poll),
          ],
    )
    // Also fired for a details rendered open: only a change of the person's asks again.
    details.addEventListener('toggle', () => {
      if (details.open === state.open.has(id)) return
      if (details.open) {
        state.open.add(id)
        if (!cancelled) probe(poll)
      } else state.open.delete(id)
    })
    return details
  }

  function render() {
    if (!alive || !state.room) return
    const polls = endedPolls(state.room)
    el.hidden = !polls.length
    if (!polls.length) {
      el.replaceChildren()
      return
    }
    replaceContent(el, h('h2', { id: 'results-title' }, t('results.title')), polls.map(pollView))
  }

  return {
    el,
    update(room) {
      state.room = room
      render()
    },
    destroy() {
      alive = false
    },
  }
}
