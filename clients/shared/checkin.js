// The session window, as the server keeps it (collab_server/domain/checkin.py):
// people check in, and the chair opens the session unasked, from
// WINDOW_MIN minutes before the start.

import { t } from './i18n/index.js'
import { toDate } from './time.js'

export const WINDOW_MIN = 60

/** ms since the epoch when check-in opens, or null without a start time. */
export function windowOpensAt(startsAt) {
  const start = toDate(startsAt)?.getTime()
  return Number.isFinite(start) ? start - WINDOW_MIN * 60 * 1000 : null
}

/** Before the window: nobody checks in yet, opening asks for confirmation. */
export function isEarly(startsAt, now = Date.now()) {
  const opens = windowOpensAt(startsAt)
  return opens !== null && now < opens
}

/** Check-in is possible: in the window, or once the chair opened the session. */
export function checkInOpen(room, now = Date.now()) {
  const state = room.session?.state || 'not_started'
  if (state === 'open' || state === 'suspended') return true
  if (state === 'closed') return false
  return !isEarly(room.meeting?.starts_at, now)
}

/**
 * How long until the start, in words: "10 giờ 5 phút", "1 ngày 2 giờ",
 * "10 hours 5 minutes". Rounded to the minute; days and hours beyond a day,
 * hours and minutes below; parts that are zero are left out.
 */
export function timeUntilStart(startsAt, now = Date.now()) {
  const start = toDate(startsAt)?.getTime()
  if (!Number.isFinite(start)) return ''
  const total = Math.max(0, Math.round((start - now) / 60000))
  const days = Math.floor(total / 1440)
  const hours = Math.floor((total % 1440) / 60)
  const minutes = total % 60
  const parts = days > 0
    ? [['days', days], ['hours', hours]]
    : [['hours', hours], ['minutes', minutes]]
  const words = parts.filter(([, n]) => n > 0).map(([unit, n]) => t(`checkin.left.${unit}`, { count: n }))
  return words.length ? words.join(' ') : t('checkin.left.minutes', { count: 0 })
}
