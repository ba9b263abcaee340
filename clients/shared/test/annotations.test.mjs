// The notes schema the server exports (docs/protocol.md, "Personal notes"):
// root arrays per page, plain objects, replicas that merge, undo of one's own.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import {
  addStroke,
  addNote,
  updateNote,
  removeIds,
  clearPage,
  readPage,
  makeStroke,
  strokesNear,
  simplify,
  undoManager,
  notesKey,
  inkKey,
  MAX_POINTS,
} from '../annotations.js'

const pen = (doc, points) => makeStroke(doc, { tool: 'pen', color: '#c0392b', width: 0.003, points, aspect: 1.4142 })
const sync = (a, b) => {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)))
}

test('strokes and notes are plain objects in root arrays named by page', () => {
  const doc = new Y.Doc()
  addStroke(doc, notesKey(3), pen(doc, [0.1, 0.2, 0.25, 0.21, 0.4, 0.22]))
  addNote(doc, notesKey(3), { x: 0.5, y: 0.6, text: 'Hỏi thêm về vốn' })
  const json = doc.toJSON()
  assert.deepEqual(Object.keys(json).sort(), ['notes:3', 'strokes:3'])
  const [stroke] = json['strokes:3']
  assert.deepEqual(Object.keys(stroke).sort(), ['color', 'id', 'points', 'tool', 'width'])
  assert.equal(stroke.tool, 'pen')
  assert.equal(stroke.color, '#c0392b')
  assert.deepEqual(stroke.points, [0.1, 0.2, 0.25, 0.21, 0.4, 0.22])
  const [note] = json['notes:3']
  assert.deepEqual(Object.keys(note).sort(), ['color', 'id', 'text', 'x', 'y'])
  assert.equal(typeof note.text, 'string')
  assert.equal(inkKey(12.0, 3), '12:3')
})

test('two devices that drew on the same page while apart keep both', () => {
  const laptop = new Y.Doc()
  const tablet = new Y.Doc()
  addStroke(laptop, '1', pen(laptop, [0.1, 0.1, 0.2, 0.2]))
  addStroke(tablet, '1', pen(tablet, [0.5, 0.5, 0.6, 0.6]))
  addNote(tablet, '1', { x: 0.3, y: 0.3, text: 'ghi chú' })
  sync(laptop, tablet)
  assert.equal(readPage(laptop, '1').strokes.length, 2)
  assert.deepEqual(readPage(laptop, '1'), readPage(tablet, '1'))
})

test('a note changes by delete and insert at the same place; the eraser deletes', () => {
  const doc = new Y.Doc()
  const a = addNote(doc, '2', { x: 0.1, y: 0.1, text: 'một' })
  const b = addNote(doc, '2', { x: 0.2, y: 0.2, text: 'hai' })
  assert.ok(updateNote(doc, '2', a.id, { text: 'một (sửa)' }))
  assert.deepEqual(readPage(doc, '2').notes.map((n) => n.text), ['một (sửa)', 'hai'])
  assert.equal(removeIds(doc, '2', [b.id]), 1)
  assert.deepEqual(readPage(doc, '2').notes.map((n) => n.id), [a.id])
  addStroke(doc, '2', pen(doc, [0.1, 0.1]))
  assert.equal(clearPage(doc, '2'), 2)
  assert.deepEqual(readPage(doc, '2'), { strokes: [], notes: [] })
})

test('undo takes back one own edit at a time, never a synced one', () => {
  const mine = new Y.Doc()
  const other = new Y.Doc()
  const undo = undoManager(mine)
  addStroke(mine, '1', pen(mine, [0.1, 0.1, 0.2, 0.2]))
  addStroke(mine, '1', pen(mine, [0.3, 0.3, 0.4, 0.4]))
  addStroke(other, '1', pen(other, [0.7, 0.7, 0.8, 0.8]))
  sync(mine, other)
  assert.equal(readPage(mine, '1').strokes.length, 3)
  undo.undo()
  assert.equal(readPage(mine, '1').strokes.length, 2)
  undo.undo()
  undo.undo() // nothing more of ours
  const left = readPage(mine, '1').strokes
  assert.equal(left.length, 1)
  assert.deepEqual(left[0].points, [0.7, 0.7, 0.8, 0.8])
  undo.redo()
  assert.equal(readPage(mine, '1').strokes.length, 2)
  const erased = readPage(mine, '1').strokes[0].id
  removeIds(mine, '1', [erased])
  undo.undo()
  assert.ok(readPage(mine, '1').strokes.some((s) => s.id === erased), 'the eraser is undone')
})

test('what the export accepts: fractions, thinned long strokes, duplicates by id', () => {
  const doc = new Y.Doc()
  assert.deepEqual(simplify([-0.2, 1.4, 0.5, 0.5]), [0, 1, 0.5, 0.5])
  const long = []
  for (let i = 0; i < 30000; i++) long.push((i % 1000) / 1000, (i % 997) / 997)
  const stroke = pen(doc, long)
  assert.ok(stroke.points.length <= MAX_POINTS * 2)
  // The same id twice (two devices changed one note): the last one wins.
  doc.getArray('notes:4').push([{ id: 'n1', x: 0, y: 0, text: 'cũ', color: '#ffdd00' }, { id: 'n1', x: 0, y: 0, text: 'mới', color: '#ffdd00' }])
  assert.deepEqual(readPage(doc, '4').notes.map((n) => n.text), ['mới'])
})

test('the eraser finds strokes near a point', () => {
  const strokes = [
    { id: 'a', width: 0.003, points: [0.1, 0.1, 0.9, 0.1] },
    { id: 'b', width: 0.003, points: [0.5, 0.5] },
  ]
  assert.deepEqual(strokesNear(strokes, 0.5, 0.105, 0.01), ['a'])
  assert.deepEqual(strokesNear(strokes, 0.5, 0.503, 0.01), ['b'])
  assert.deepEqual(strokesNear(strokes, 0.5, 0.3, 0.01), [])
})
