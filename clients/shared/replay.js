// Replay of an ended meeting (docs/replay.md): the server rebuilds the room
// document as it was at a moment and answers its roots as plain data; here
// they go back into a Y.Doc, so the same readers as the live room
// (room.js readRoom) render it. Nothing here writes to the server.

import * as Y from 'yjs'
import { t } from './i18n/index.js'
import { personName } from './room.js'

const ARRAYS = new Set(['agenda'])

/** A Y.Doc holding the roots of a replayed room. */
export function roomDoc(roots) {
  const doc = new Y.Doc()
  doc.transact(() => {
    for (const [name, value] of Object.entries(roots ?? {})) {
      if (ARRAYS.has(name)) {
        if (Array.isArray(value) && value.length) doc.getArray(name).push(value)
      } else if (value && typeof value === 'object') {
        const map = doc.getMap(name)
        for (const [key, entry] of Object.entries(value)) map.set(key, entry)
      }
    }
  })
  return doc
}

const itemTitle = (room, id) => {
  const item = room.agenda.find((i) => String(i.id) === String(id))
  return item ? `${item.position}. ${item.title}` : ''
}

/** One line of the timeline, named from the room at the end of the meeting. */
export function momentLabel(moment, room) {
  const d = moment.data ?? {}
  const who = (id) => personName(room, id, moment.actor || `#${id}`)
  switch (moment.kind) {
    case 'agenda.goto':
      return d.item === null || d.item === undefined
        ? t('replay.kind.agendaNone')
        : t('replay.kind.agenda', { item: itemTitle(room, d.item) })
    case 'speaker.grant':
      return t('replay.kind.grant', { name: who(d.user) })
    case 'speaker.end':
      return t('replay.kind.end', { name: who(d.user), seconds: d.seconds ?? 0 })
    case 'presenter.set':
      return d.user === null || d.user === undefined ? t('replay.kind.presenterNone') : t('replay.kind.presenter', { name: who(d.user) })
    case 'present.page':
      return d.document === null || d.document === undefined
        ? t('replay.kind.pageNone')
        : t('replay.kind.page', { document: d.document, page: d.page ?? 1 })
    case 'poll.open':
      return t(d.kind === 'secret' ? 'replay.kind.pollSecret' : 'replay.kind.pollNamed', { question: d.question ?? '' })
    case 'poll.close':
      return t('replay.kind.pollClose', { counts: (d.counts ?? []).join(' / '), verdict: t(d.passed ? 'replay.passed' : 'replay.rejected') })
    case 'poll.cancel':
      return t('replay.kind.pollCancel')
    case 'attendance.check_in':
      return t('replay.kind.checkIn', { name: who(moment.actor_id) })
    case 'attendance.mark':
      return t(d.present ? 'replay.kind.markPresent' : 'replay.kind.markAbsent', { name: who(d.user) })
    case 'display.message':
      return t('replay.kind.message', { text: d.text ?? '' })
    case 'session.open':
    case 'session.suspend':
    case 'session.resume':
    case 'session.close':
      return t(`replay.kind.${moment.kind}`)
    default:
      return moment.kind
  }
}

/** The index of the last moment at or before `ms` (-1 before the first). */
export function momentAt(moments, ms) {
  let found = -1
  moments.forEach((m, i) => {
    if (Date.parse(m.at) <= ms) found = i
  })
  return found
}

const VN_OFFSET_MS = 7 * 3600 * 1000
const two = (n) => String(n).padStart(2, '0')

/** "08:02:15" in Vietnam time (meetings happen there; see time.js). */
export function clock(ms) {
  const d = new Date(ms + VN_OFFSET_MS)
  return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
}
