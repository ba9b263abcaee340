// Reading the room document (docs/protocol.md "The room document",
// docs/intents.md "The room document, during the session").
// The server alone writes it; clients only read and observe.

const plain = (value) => (value && typeof value.toJSON === 'function' ? value.toJSON() : value)
const mapOf = (doc, name) => doc.getMap(name).toJSON()

/** Ids arrive as floats from pycrdt and as ints or strings over HTTP. */
export const sameId = (a, b) =>
  a !== null && a !== undefined && b !== null && b !== undefined && String(a) === String(b)

const hasValue = (v) => v !== null && v !== undefined

/**
 * A plain snapshot of the room. Every root is always present (an empty map
 * before the server wrote it), so screens never test for undefined.
 */
export function readRoom(doc) {
  const agenda = doc
    .getArray('agenda')
    .toArray()
    .map(plain)
    .filter((item) => item && typeof item === 'object')
  agenda.sort((a, b) => (a.position ?? 0) - (b.position ?? 0))
  const speakers = mapOf(doc, 'speakers')
  const queue = Object.entries(speakers)
    .map(([id, entry]) => ({ ...entry, id: Number(id) }))
    .sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0) || a.id - b.id)
  const polls = Object.entries(mapOf(doc, 'polls'))
    .map(([id, poll]) => ({ ...poll, id: poll?.id ?? Number(id) }))
    .sort((a, b) => Number(a.id) - Number(b.id))
  const floor = mapOf(doc, 'floor')
  return {
    meeting: mapOf(doc, 'meeting'),
    agenda,
    cursor: mapOf(doc, 'cursor'),
    presenting: mapOf(doc, 'presenting'),
    people: mapOf(doc, 'people'),
    settings: mapOf(doc, 'settings'),
    session: mapOf(doc, 'session'),
    agendaTimes: mapOf(doc, 'agenda_times'),
    attendance: mapOf(doc, 'attendance'),
    quorum: mapOf(doc, 'quorum'),
    queue,
    floor: hasValue(floor.user) ? floor : null,
    display: mapOf(doc, 'display'),
    polls,
    proxies: mapOf(doc, 'proxies'),
  }
}

/** Call fn(snapshot) after changes, at most once per frame. Returns unsubscribe. */
export function observeRoom(doc, fn) {
  let queued = false
  const later = globalThis.requestAnimationFrame ?? ((cb) => setTimeout(cb, 0))
  const onUpdate = () => {
    if (queued) return
    queued = true
    later(() => {
      queued = false
      fn(readRoom(doc))
    })
  }
  doc.on('update', onUpdate)
  return () => doc.off('update', onUpdate)
}

export function currentIndex(room) {
  return room.agenda.findIndex((item) => sameId(item.id, room.cursor.item))
}

/** not_started, open, suspended or closed. */
export const sessionState = (room) => room.session?.state || 'not_started'

/** The open poll, if any (the newest, should there be several). */
export const openPoll = (room) => [...room.polls].reverse().find((p) => p.status === 'open') ?? null

/** The newest closed poll, if any. */
export const lastClosedPoll = (room) =>
  [...room.polls].reverse().find((p) => p.status === 'closed') ?? null

const ENDED = new Set(['closed', 'cancelled'])

/** The newest poll that is over, closed or cancelled, if any. */
export const lastEndedPoll = (room) => [...room.polls].reverse().find((p) => ENDED.has(p.status)) ?? null

/** Polls that are over, newest first. */
export const endedPolls = (room) => [...room.polls].reverse().filter((p) => ENDED.has(p.status))

/** The caller's own request in the queue and its place (1-based), or null. */
export function ownRequest(room, userId) {
  const index = room.queue.findIndex((entry) => sameId(entry.user, userId))
  return index < 0 ? null : { ...room.queue[index], place: index + 1 }
}

export const isPresent = (room, userId) => Boolean(room.attendance[String(userId)]?.present)

/** Who may change the presented page: the chair, or the named presenter. */
export const mayPresentPage = (room, user, role) =>
  role === 'chair' || sameId(room.presenting?.presenter, user?.id)

/** Who may write the presenter ink now: the named presenter, else the chair. */
export function mayPresent(room, user, role) {
  const named = room.presenting?.presenter
  if (hasValue(named)) return sameId(named, user?.id)
  return role === 'chair'
}

/** A person's name from the room roster, or the fallback. */
export const personName = (room, userId, fallback = '') =>
  room.people[String(userId)]?.name ?? fallback

// -- proxies (docs/protocol.md "Voting") ---------------------------------------------

const MEMBER_ROLES = new Set(['chair', 'delegate'])
const ACTIVE_PROXY = new Set(['requested', 'approved'])

/** A member votes: the chair and the delegates, not a deputy standing in. */
export const isMember = (person) =>
  Boolean(person) && MEMBER_ROLES.has(person.role) && !hasValue(person.stands_in_for)

/** The proxy the person gave ({to, to_name, status, ...}), or null. */
export const ownProxy = (room, userId) => room.proxies?.[String(userId)] ?? null

/** [{member, name, status, at}] of proxies handed to the person, requested or approved. */
export function proxiesTo(room, userId) {
  return Object.entries(room.proxies ?? {})
    .filter(([, p]) => p && sameId(p.to, userId) && ACTIVE_PROXY.has(p.status))
    .map(([member, p]) => ({ member: Number(member), name: personName(room, member, `#${member}`), status: p.status, at: p.at }))
    .sort((a, b) => String(a.name).localeCompare(String(b.name), 'vi') || a.member - b.member)
}

/** Members the person holds an approved proxy of: they cast for them (`for_user`). */
export const proxyBallots = (room, userId) =>
  room.settings?.allow_proxy ? proxiesTo(room, userId).filter((p) => p.status === 'approved') : []

/**
 * Whether the person may hand their vote over now, and if not, why:
 * {may: bool, reason: '' | 'off' | 'notMember' | 'deputy' | 'closed' | 'given' | 'holding'}.
 */
export function mayHandOver(room, userId) {
  const me = room.people[String(userId)]
  if (!room.settings?.allow_proxy) return { may: false, reason: 'off' }
  if (!isMember(me)) return { may: false, reason: 'notMember' }
  if (Object.values(room.people).some((p) => p && sameId(p.stands_in_for, userId))) return { may: false, reason: 'deputy' }
  if ((room.session?.state || 'not_started') === 'closed') return { may: false, reason: 'closed' }
  if (ACTIVE_PROXY.has(ownProxy(room, userId)?.status)) return { may: false, reason: 'given' }
  if (proxiesTo(room, userId).length) return { may: false, reason: 'holding' }
  return { may: true, reason: '' }
}

/** Members the person may hand their vote to: present, not the person, not handing over themselves. */
export function proxyCandidates(room, userId) {
  return Object.values(room.people)
    .filter((p) => isMember(p) && !sameId(p.id, userId) && isPresent(room, p.id) && !ACTIVE_PROXY.has(ownProxy(room, p.id)?.status))
    .sort((a, b) => String(a.name).localeCompare(String(b.name), 'vi'))
}

/** Requests waiting for the chair, and the approved proxies: [{member, name, to, to_name, status, at}]. */
export function proxyList(room, status) {
  return Object.entries(room.proxies ?? {})
    .filter(([, p]) => p && p.status === status)
    .map(([member, p]) => ({ ...p, member: Number(member), name: personName(room, member, `#${member}`), to_name: p.to_name || personName(room, p.to, `#${p.to}`) }))
    .sort((a, b) => (a.at ?? 0) - (b.at ?? 0) || a.member - b.member)
}
