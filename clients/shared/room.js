// Reading the room document (docs/protocol.md, "The room document").
// The server alone writes it; clients only read and observe.

const plain = (value) => (value && typeof value.toJSON === 'function' ? value.toJSON() : value)

/** A plain snapshot of the room: {meeting, agenda, cursor, presenting}. */
export function readRoom(doc) {
  const agenda = doc
    .getArray('agenda')
    .toArray()
    .map(plain)
    .filter((item) => item && typeof item === 'object')
  agenda.sort((a, b) => (a.position ?? 0) - (b.position ?? 0))
  return {
    meeting: doc.getMap('meeting').toJSON(),
    agenda,
    cursor: doc.getMap('cursor').toJSON(),
    presenting: doc.getMap('presenting').toJSON(),
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

/** Ids arrive as floats from pycrdt and as ints or strings over HTTP. */
export const sameId = (a, b) => a !== null && a !== undefined && b !== null && b !== undefined && String(a) === String(b)

export function currentIndex(room) {
  return room.agenda.findIndex((item) => sameId(item.id, room.cursor.item))
}
