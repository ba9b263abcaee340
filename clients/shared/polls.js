// Reading a poll of the room: {id, question, options, kind, status, cast,
// and after close counts, passed, quorum_met}. Option and count shapes are
// read generously (strings or {label}; a list or a map of counts).

import { t } from './i18n/index.js'

export const POLL_RULES = Object.freeze(['present_majority', 'members_majority', 'two_thirds_members'])
export const POLL_KINDS = Object.freeze(['named', 'secret'])

/** The usual three answers, in the current language. */
export const defaultOptions = () => [t('poll.yes'), t('poll.no'), t('poll.abstain')]

export function optionLabels(poll) {
  const options = Array.isArray(poll?.options) && poll.options.length ? poll.options : defaultOptions()
  return options.map((o) => (o && typeof o === 'object' ? (o.label ?? o.text ?? o.title ?? '') : String(o)))
}

/** Votes for option i, or null when the poll does not say (yet). */
export function countFor(poll, index) {
  const counts = poll?.counts
  if (counts === null || counts === undefined) return null
  let value
  if (Array.isArray(counts)) value = counts[index]
  else if (typeof counts === 'object') {
    const label = optionLabels(poll)[index]
    value = counts[index] ?? counts[String(index)] ?? counts[label]
  }
  const n = Number(value)
  return Number.isFinite(n) ? n : null
}

/** [{label, count, share}] with share in 0..1 of the ballots counted. */
export function results(poll) {
  const labels = optionLabels(poll)
  const counts = labels.map((_, i) => countFor(poll, i) ?? 0)
  const total = counts.reduce((a, b) => a + b, 0)
  return labels.map((label, i) => ({ label, count: counts[i], share: total ? counts[i] / total : 0 }))
}

/** "passed", "rejected" or "" when the server has not said. */
export function outcome(poll) {
  if (poll?.status !== 'closed' || poll.passed === null || poll.passed === undefined) return ''
  return poll.passed ? 'passed' : 'rejected'
}

/** A share as Vietnamese read it: 0.625 -> "62,5%" (comma decimals in vi). */
export function formatShare(share, lang = 'vi') {
  const pct = Math.round(share * 1000) / 10
  const text = Number.isInteger(pct) ? String(pct) : pct.toFixed(1)
  return `${lang === 'vi' ? text.replace('.', ',') : text}%`
}

// Receipts of secret ballots: 10 characters of Crockford base32; dashes,
// spaces and case do not matter (docs/protocol.md "Secret ballots and receipts").
const RECEIPT = /^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{10}$/

/** The receipt as the server keeps it ("abcd-efgh 23" -> "ABCDEFGH23"), or '' when it cannot be one. */
export function normalizeReceipt(code) {
  const text = String(code ?? '').toUpperCase().replace(/[\s-]/g, '')
  return RECEIPT.test(text) ? text : ''
}

/**
 * The verdict for one receipt against the published list:
 * {state: 'ok' | 'differs' | 'missing' | 'invalid', code, option, mine}.
 * `cast` is the choice the voter sent (index), or undefined for a typed code.
 */
export function checkReceipt(list, labels, code, cast) {
  const wanted = normalizeReceipt(code)
  if (!wanted) return { state: 'invalid', code: String(code ?? '').trim() }
  const found = list.find((r) => r.receipt === wanted)
  if (!found) return { state: 'missing', code: wanted }
  const option = labels[found.choice] ?? String(found.choice)
  if (cast !== undefined && cast !== null && Number(found.choice) !== Number(cast)) {
    return { state: 'differs', code: wanted, option, mine: labels[cast] ?? String(cast) }
  }
  return { state: 'ok', code: wanted, option }
}
