// Under a vote's result: the rule, its threshold and the base it counts, in
// words and numbers, so a percentage is never read against the wrong base
// ("Đồng ý 66,7%" of the ballots beside "KHÔNG ĐƯỢC THÔNG QUA" by members).

import { h } from '../../../shared/dom.js'
import { resultBasis, outcome } from '../../../shared/polls.js'
import { t, getLang } from '../../../shared/i18n/index.js'

export function basisView(poll) {
  const basis = resultBasis(poll, getLang())
  if (!basis) return null
  const verdict = outcome(poll)
  return h(
    'p',
    { class: 'poll-basis', 'data-key': `basis-${poll.id}` },
    basis.rule ? h('span', { class: 'basis-rule' }, basis.rule) : null,
    basis.rule ? ' ' : null,
    h('span', { class: 'basis-first' }, basis.first),
    verdict ? ` — ${t(`poll.${verdict}`)}` : null,
  )
}
