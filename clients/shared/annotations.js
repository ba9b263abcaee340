// Ink and notes on pages, in the schema the server reads to export the
// annotated PDF (docs/protocol.md, "Personal notes"): one pair of root
// arrays per page,
//   strokes:{page}  Y.Array of {id, tool: "pen"|"highlighter", color: "#rrggbb",
//                   width (fraction of page width), points: [x0, y0, ...] fractions 0..1}
//   notes:{page}    Y.Array of {id, x, y, text (a plain string), color}
// Root types, not a map of per-page maps: two replicas that start the same
// page while apart would each create their own nested map and Yjs would keep
// only one. Elements are plain objects, never edited in place: a change is a
// delete and an insert at the same index; the eraser deletes elements.
//
// The presenter's ink (meeting/{id}/ink) uses the same shape with the
// document in the key: strokes:{document}:{page}.

import * as Y from 'yjs'

/** Origin of a person's own edits: the only ones the undo manager tracks. */
export const LOCAL = 'notes'

export const PEN_COLORS = Object.freeze(['#0b0c0c', '#c0392b', '#0b3d91', '#00703c'])
export const HIGHLIGHT_COLORS = Object.freeze(['#ffdd00', '#7cd67c', '#ff9ec7'])
export const NOTE_COLOR = '#ffdd00'
export const WIDTH = Object.freeze({ pen: 0.003, highlighter: 0.018 })
// What the server draws on export (docs/protocol.md).
export const MAX_POINTS = 5000
export const MAX_TEXT = 2000

export const notesPath = (meetingId, documentId) =>
  `meeting/${encodeURIComponent(meetingId)}/notes/${encodeURIComponent(documentId)}`
export const inkPath = (meetingId) => `meeting/${encodeURIComponent(meetingId)}/ink`
/** The page part of the root names: "3" in a person's notes, "12:3" in the ink. */
export const notesKey = (page) => String(Math.round(Number(page)))
export const inkKey = (documentId, page) => `${Math.round(Number(documentId))}:${Math.round(Number(page))}`
export const strokesOf = (doc, key) => doc.getArray(`strokes:${key}`)
export const notesOf = (doc, key) => doc.getArray(`notes:${key}`)

let counter = 0
export function newId(doc) {
  return `${doc.clientID}.${Date.now().toString(36)}.${++counter}`
}

const round = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000

const valid = (item) => item && typeof item === 'object' && typeof item.id === 'string'

/** The elements of an array, the last one kept when an id appears twice. */
function latest(items, check) {
  const byId = new Map()
  for (const item of items) if (check(item)) byId.set(item.id, item)
  const keep = new Set(byId.values())
  return items.filter((item) => keep.has(item))
}

/** {strokes, notes} of one page as plain data. */
export function readPage(doc, key) {
  return {
    strokes: latest(strokesOf(doc, key).toArray(), (s) => valid(s) && Array.isArray(s.points) && s.points.length >= 2),
    notes: latest(notesOf(doc, key).toArray(), (n) => valid(n) && typeof n.text === 'string'),
  }
}

/** Drop points closer than minDist to the previous one (fractions of width). */
export function simplify(points, aspect = 1.4142, minDist = 0.0015) {
  const out = []
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = round(points[i])
    const y = round(points[i + 1])
    const n = out.length
    if (n >= 2) {
      const dx = x - out[n - 2]
      const dy = (y - out[n - 1]) * aspect
      if (Math.hypot(dx, dy) < minDist && i + 2 < points.length) continue
    }
    out.push(x, y)
  }
  return out
}

export function makeStroke(doc, { tool, color, width, points, aspect }) {
  let kept = simplify(points, aspect)
  // Thin a very long stroke to what the export draws.
  while (kept.length > MAX_POINTS * 2) kept = kept.filter((_, i) => i % 4 < 2)
  return {
    id: newId(doc),
    tool: tool === 'highlighter' ? 'highlighter' : 'pen',
    color,
    width: width ?? WIDTH[tool] ?? WIDTH.pen,
    points: kept,
  }
}

export function addStroke(doc, key, stroke) {
  doc.transact(() => strokesOf(doc, key).push([stroke]), LOCAL)
  return stroke
}

export function addNote(doc, key, { x, y, text, color = NOTE_COLOR }) {
  const note = { id: newId(doc), x: round(x), y: round(y), text: String(text).slice(0, MAX_TEXT), color }
  doc.transact(() => notesOf(doc, key).push([note]), LOCAL)
  return note
}

/** Replace a note: delete it and insert the new version at the same index, one transaction. */
export function updateNote(doc, key, id, changes) {
  const arr = notesOf(doc, key)
  const items = arr.toArray()
  let index = -1
  for (let i = items.length - 1; i >= 0; i--) {
    if (items[i]?.id === id) {
      index = i
      break
    }
  }
  if (index < 0) return false
  const next = { ...items[index], ...changes, id }
  next.text = String(next.text ?? '').slice(0, MAX_TEXT)
  doc.transact(() => {
    arr.delete(index, 1)
    arr.insert(index, [next])
  }, LOCAL)
  return true
}

/** Delete the elements with these ids from strokes and notes of the page. */
export function removeIds(doc, key, ids) {
  const wanted = new Set(ids)
  if (!wanted.size) return 0
  let removed = 0
  doc.transact(() => {
    for (const arr of [strokesOf(doc, key), notesOf(doc, key)]) {
      const items = arr.toArray()
      for (let i = items.length - 1; i >= 0; i--) {
        if (wanted.has(items[i]?.id)) {
          arr.delete(i, 1)
          removed += 1
        }
      }
    }
  }, LOCAL)
  return removed
}

/** Every element of the page, for "clear the page". */
export function clearPage(doc, key) {
  const { strokes, notes } = readPage(doc, key)
  return removeIds(doc, key, [...strokes, ...notes].map((i) => i.id))
}

function segmentDistance(px, py, ax, ay, bx, by) {
  const dx = bx - ax
  const dy = by - ay
  const len = dx * dx + dy * dy
  const t = len ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len)) : 0
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy))
}

/**
 * Ids of strokes passing within radius of (x, y). Coordinates are page
 * fractions; distances are measured in page widths (aspect = height/width).
 */
export function strokesNear(strokes, x, y, radius, aspect = 1.4142) {
  const hits = []
  for (const s of strokes) {
    const p = s.points
    const reach = radius + (Number(s.width) || 0) / 2
    if (p.length === 2) {
      if (Math.hypot(p[0] - x, (p[1] - y) * aspect) <= reach) hits.push(s.id)
      continue
    }
    for (let i = 0; i + 3 < p.length; i += 2) {
      if (segmentDistance(x, y * aspect, p[i], p[i + 1] * aspect, p[i + 2], p[i + 3] * aspect) <= reach) {
        hits.push(s.id)
        break
      }
    }
  }
  return hits
}

/** Undo for one's own edits only: a change synced from another device is never undone here. */
export const undoManager = (doc) => new Y.UndoManager(doc, { trackedOrigins: new Set([LOCAL]), captureTimeout: 0 })
