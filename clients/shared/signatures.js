// The digital signatures an uploaded PDF carried, as the server read them
// at upload (documents/pades.py): a line beside the document, opening to
// who signed, when, and what the check found, in the reader's language.

import { h } from './dom.js'
import { t } from './i18n/index.js'
import { formatDateTime } from './time.js'

const GOOD = 'valid'

/** The worst verdict of a document's signatures, or null when it has none. */
export function signatureVerdict(doc) {
  const all = doc?.signatures ?? []
  if (!all.length) return null
  return all.find((s) => s.verdict !== GOOD)?.verdict ?? GOOD
}

/** A <details> for a signed document, null for an unsigned one. */
export function signatureSummary(doc, { compact = false } = {}) {
  const verdict = signatureVerdict(doc)
  if (verdict === null) return null
  const all = doc.signatures
  const good = verdict === GOOD
  return h(
    'details',
    { class: `signatures ${good ? 'ok' : 'warn'}`, 'data-verdict': verdict, 'data-key': `signatures-${doc.id}` },
    h(
      'summary',
      {},
      good ? '✓ ' : '⚠ ',
      good ? t('sign.summaryValid', { count: all.length }) : t(`sign.verdict.${verdict}`),
    ),
    compact
      ? null
      : h(
          'ul',
          {},
          all.map((s) =>
            h(
              'li',
              { 'data-verdict': s.verdict },
              h('strong', {}, s.signer || t('sign.unknownSigner')),
              s.organisation && s.organisation !== s.signer ? ` (${s.organisation})` : '',
              s.signed_at ? h('span', { class: 'meta' }, ' · ', t('sign.signedAt', { time: formatDateTime(s.signed_at) })) : null,
              h('p', { class: s.verdict === GOOD ? 'ok-text' : 'warn-text' }, t(`sign.verdict.${s.verdict}`)),
            ),
          ),
        ),
    doc.signatures_checked_at
      ? h('p', { class: 'meta small' }, t(doc.serve_original ? 'sign.checkedAt' : 'sign.checkedAtCleaned', { time: formatDateTime(doc.signatures_checked_at) }))
      : null,
  )
}
