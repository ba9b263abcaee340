// Reading a poll of the room: {id, question, options, kind, rule, status,
// cast, and after close counts, passed, quorum_met, members, eligible,
// needed, base_kind, base}. Option and count shapes are
// read generously (strings or {label}; a list or a map of counts).

import { t } from './i18n/index.js'
import vi from './i18n/vi.js'

export const POLL_RULES = Object.freeze(['present_majority', 'members_majority', 'two_thirds_members'])
export const POLL_KINDS = Object.freeze(['named', 'secret'])

/** The usual three answers, in the current language. */
export const defaultOptions = () => [t('poll.yes'), t('poll.no'), t('poll.abstain')]

// The server stores the usual answers in Vietnamese (the record's language);
// on screen they follow the reader's language. Ballots carry the index, never
// the label, so translating a label changes nothing that is counted.
const USUAL = new Map(['poll.yes', 'poll.no', 'poll.abstain'].map((key) => [vi[key], key]))

function storedLabels(poll) {
  const options = Array.isArray(poll?.options) && poll.options.length ? poll.options : defaultOptions()
  return options.map((o) => (o && typeof o === 'object' ? (o.label ?? o.text ?? o.title ?? '') : String(o)))
}

export function optionLabels(poll) {
  return storedLabels(poll).map((label) => {
    const key = USUAL.get(label)
    return key ? t(key) : label
  })
}

/** Votes for option i, or null when the poll does not say (yet). */
export function countFor(poll, index) {
  const counts = poll?.counts
  if (counts === null || counts === undefined) return null
  let value
  if (Array.isArray(counts)) value = counts[index]
  else if (typeof counts === 'object') {
    const label = storedLabels(poll)[index]
    value = counts[index] ?? counts[String(index)] ?? counts[label]
  }
  const n = Number(value)
  return Number.isFinite(n) ? n : null
}

/** The ballots the first option needs under a rule (as domain/voting.py `outcome`). */
export function neededFor(rule, { members = 0, eligible = 0 } = {}) {
  if (rule === 'present_majority') return Math.floor(eligible / 2) + 1
  if (rule === 'members_majority') return Math.floor(members / 2) + 1
  if (rule === 'two_thirds_members') return Math.ceil((2 * members) / 3)
  return null
}

const positive = (v) => (Number(v) > 0 ? Number(v) : 0)

/**
 * What the rule counts the first option against: {kind, count}. kind is
 * 'members' (all members), 'present' (members present or represented) or,
 * for a poll that does not say, 'cast' (the ballots). The server names it
 * at the close (base_kind, base); older polls are read from their rule.
 */
export function pollBase(poll) {
  if (positive(poll?.base)) return { kind: poll.base_kind === 'present' ? 'present' : 'members', count: positive(poll.base) }
  if (poll?.rule === 'present_majority' && positive(poll.eligible)) return { kind: 'present', count: positive(poll.eligible) }
  if (poll?.rule && poll.rule !== 'present_majority' && positive(poll.members)) return { kind: 'members', count: positive(poll.members) }
  const counts = optionLabels(poll).map((_, i) => countFor(poll, i) ?? 0)
  return { kind: 'cast', count: counts.reduce((a, b) => a + b, 0) }
}

/**
 * [{label, count, share}] with share in 0..1 of the base the rule counts, so
 * bars and percentages agree with the verdict. When the base is the members,
 * a last row {absent: true} counts those who cast no ballot.
 */
export function results(poll) {
  const labels = optionLabels(poll)
  const counts = labels.map((_, i) => countFor(poll, i) ?? 0)
  const base = pollBase(poll)
  const share = (n) => (base.count ? n / base.count : 0)
  const rows = labels.map((label, i) => ({ label, count: counts[i], share: share(counts[i]) }))
  const missing = base.count - counts.reduce((a, b) => a + b, 0)
  if (base.kind !== 'cast' && missing > 0) rows.push({ label: t('poll.basis.noBallot'), count: missing, share: share(missing), absent: true })
  return rows
}

/**
 * The basis of a closed poll in words and numbers:
 * {rule: "Thông qua khi quá 1/2 tổng số thành viên (5/9).",
 *  first: "Đồng ý 4/9 thành viên = 44,4%"}, or null before the close.
 */
export function resultBasis(poll, lang = 'vi') {
  if (poll?.status !== 'closed') return null
  const base = pollBase(poll)
  const needed = Number.isFinite(Number(poll.needed)) && poll.needed !== null ? Number(poll.needed) : neededFor(poll.rule, poll)
  const rule = POLL_RULES.includes(poll.rule) && base.kind !== 'cast' && needed !== null
    ? t(`poll.basis.${poll.rule}`, { needed, base: base.count })
    : ''
  const yes = countFor(poll, 0) ?? 0
  const first = t(`poll.basis.first.${base.kind}`, {
    option: optionLabels(poll)[0] ?? '',
    count: yes,
    base: base.count,
    share: formatShare(base.count ? yes / base.count : 0, lang),
  })
  return { rule, first, base }
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
