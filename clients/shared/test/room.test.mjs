import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { readRoom, currentIndex, sameId } from '../room.js'
import { describePresenting } from '../presenting.js'

test('a room snapshot: agenda in position order, current item by id', () => {
  const doc = new Y.Doc()
  const nested = new Y.Map()
  doc.getArray('agenda').push([{ id: 2.0, position: 2, title: 'Hai' }, { id: 1.0, position: 1, title: 'Một' }])
  doc.getArray('agenda').push([nested])
  nested.set('id', 3)
  nested.set('position', 3)
  nested.set('title', 'Ba')
  doc.getMap('cursor').set('item', 2)
  const room = readRoom(doc)
  assert.deepEqual(room.agenda.map((i) => i.title), ['Một', 'Hai', 'Ba'])
  assert.equal(currentIndex(room), 1)
  assert.ok(sameId(1, '1'))
  assert.ok(!sameId(null, null))
})

test('the presented page in words', () => {
  const docs = [{ id: 5, title: 'Tờ trình', page_count: 12 }]
  assert.deepEqual(describePresenting({ document: 5, page: 3 }, docs), { title: 'Tờ trình', page: 'Trang 3/12' })
  assert.deepEqual(describePresenting({ document: 9, page: 1 }, docs), { title: 'Tài liệu số 9', page: 'Trang 1' })
  assert.equal(describePresenting({ document: null }, docs), null)
})
