// Which meeting a display shows when its URL does not say.
//
// A display account belongs to a room: it asks the server which meeting is
// in session there (GET /api/display/now) every few seconds and switches by
// itself. A display listed in meetings without a room falls back to its own
// list of meetings. Statuses are the server's: draft, invited, in_session,
// ended, archived (schema/001_core.sql).

import { toDate } from '../../shared/time.js'

const IN_SESSION = new Set(['in_session'])
const COMING = new Set(['invited'])

/** The meeting in session (the latest to start), else the invited one nearest to now, else null. */
export function pickMeeting(meetings, now = Date.now()) {
  const at = (m) => toDate(m.starts_at)?.getTime() ?? NaN
  const inSession = meetings.filter((m) => IN_SESSION.has(m.status))
  if (inSession.length) return [...inSession].sort((a, b) => (at(b) || 0) - (at(a) || 0))[0]
  const distance = (m) => (Number.isFinite(at(m)) ? Math.abs(at(m) - now) : Infinity)
  return [...meetings.filter((m) => COMING.has(m.status))].sort((a, b) => distance(a) - distance(b))[0] ?? null
}

/** How long the closed screen of a session stays before the waiting screen. */
export const CLOSED_HOLD_MS = 10 * 60 * 1000

/**
 * What a room's display shows, from the server's answer and what it shows now.
 * @param {{meeting: object|null}} answer GET /api/display/now
 * @param {{id: string|null, closedSince: number|null}} shown the stage on screen, and
 *   since when its session is closed (null while it runs)
 * @returns {{screen: 'stage', id: string} | {screen: 'waiting'}}
 */
export function nextScreen(answer, shown, now = Date.now()) {
  const live = answer?.meeting
  if (live) return { screen: 'stage', id: String(live.id) }
  // The session just closed: its closed screen stays a while, then the room waits.
  if (shown?.id && shown.closedSince !== null && shown.closedSince !== undefined && now - shown.closedSince < CLOSED_HOLD_MS) {
    return { screen: 'stage', id: String(shown.id) }
  }
  return { screen: 'waiting' }
}

/** A meeting id from #/meeting/ID or ?meeting=ID, or null. */
export function meetingFromUrl(loc = location) {
  const hash = /^#\/meeting\/([^/?#]+)/.exec(loc.hash)
  if (hash) return decodeURIComponent(hash[1])
  return new URLSearchParams(loc.search).get('meeting')
}
