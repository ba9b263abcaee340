// The session window, as the server keeps it (collab_server/domain/checkin.py):
// people check in, and the chair opens the session unasked, from
// WINDOW_MIN minutes before the start.

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
