// What a live connection's status means to a person.

import { Status } from './live.js'
import { t, has } from './i18n/index.js'

export function statusLabel(status) {
  return t(`live.${status}`)
}

/** Why a STOPPED connection stopped, in the user's language. */
export function stopReason(detail = {}) {
  const key = `close.${detail.code}`
  if (has(key)) return t(key)
  const text = t('close.other', { code: detail.code ?? '?' })
  return detail.reason ? `${text} ${detail.reason}` : text
}

/** The small coloured badge: data-status drives the colour in CSS. */
export function badgeClass(status) {
  return status === Status.LIVE ? 'badge live' : status === Status.CONNECTING ? 'badge wait' : 'badge down'
}
