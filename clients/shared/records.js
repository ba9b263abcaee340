// After the meeting: which meetings are past, how urgent the conclusion
// notice is, and search hits grouped for the meeting list and for attaching
// documents of earlier meetings (docs/api.md "After the session").

export const PAST = new Set(['ended', 'archived'])
export const isPast = (meeting) => PAST.has(meeting?.status)

// Working days left at which the deadline warning turns on.
export const SOON_DAYS = 2

/**
 * How the conclusion notice stands, from GET /api/meetings/{id}/conclusion:
 * 'issued', 'overdue' (pending past the deadline), 'today' (the last day),
 * 'soon' (SOON_DAYS working days or fewer), 'ok'.
 */
export function deadlineLevel(conclusion) {
  if (!conclusion) return 'ok'
  if (conclusion.status === 'issued') return 'issued'
  const left = Number(conclusion.days_left)
  if (conclusion.overdue || left < 0) return 'overdue'
  if (left === 0) return 'today'
  if (left <= SOON_DAYS) return 'soon'
  return 'ok'
}

const sameId = (a, b) => a !== null && a !== undefined && String(a) === String(b)

/**
 * Search results grouped by meeting, best meeting first, each with its hits
 * (at most `perMeeting`): [{meetingId, hits}].
 */
export function hitsByMeeting(results, { perMeeting = 3 } = {}) {
  const groups = new Map()
  for (const hit of results ?? []) {
    if (hit?.meeting_id === null || hit?.meeting_id === undefined) continue
    const key = String(hit.meeting_id)
    if (!groups.has(key)) groups.set(key, { meetingId: hit.meeting_id, hits: [] })
    const group = groups.get(key)
    if (group.hits.length < perMeeting) group.hits.push(hit)
  }
  return [...groups.values()]
}

/**
 * Documents of other meetings found by a search, once each (a title hit or
 * the first page that matched), in the order found: [{documentId,
 * meetingId, title, page, snippet}]. Documents already in `meetingId`, or
 * listed in `have` (document ids), are left out.
 */
export function attachableDocuments(results, meetingId, have = []) {
  const skip = new Set(have.map(String))
  const out = new Map()
  for (const hit of results ?? []) {
    if (hit?.kind !== 'document' && hit?.kind !== 'page') continue
    if (hit.document_id === null || hit.document_id === undefined) continue
    if (sameId(hit.meeting_id, meetingId) || skip.has(String(hit.document_id))) continue
    const key = String(hit.document_id)
    if (out.has(key)) continue
    out.set(key, {
      documentId: hit.document_id,
      meetingId: hit.meeting_id,
      title: hit.title ?? '',
      page: hit.kind === 'page' ? hit.page : null,
      snippet: hit.snippet ?? '',
    })
  }
  return [...out.values()]
}
