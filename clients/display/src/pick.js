// Which meeting a display shows when its URL does not say.

import { toDate } from '../../shared/time.js'

const IN_SESSION = new Set(['open', 'live', 'in_progress', 'started', 'paused'])
const OVER = new Set(['closed', 'ended', 'finished', 'cancelled', 'canceled'])

/** The meeting in session, else the one not over that starts nearest to now, else null. */
export function pickMeeting(meetings, now = Date.now()) {
  const inSession = meetings.filter((m) => IN_SESSION.has(m.status))
  const pool = inSession.length ? inSession : meetings.filter((m) => !OVER.has(m.status))
  const distance = (m) => {
    const at = toDate(m.starts_at)
    return at ? Math.abs(at.getTime() - now) : Infinity
  }
  return [...pool].sort((a, b) => distance(a) - distance(b))[0] ?? null
}

/** A meeting id from #/meeting/ID or ?meeting=ID, or null. */
export function meetingFromUrl(loc = location) {
  const hash = /^#\/meeting\/([^/?#]+)/.exec(loc.hash)
  if (hash) return decodeURIComponent(hash[1])
  return new URLSearchParams(loc.search).get('meeting')
}
