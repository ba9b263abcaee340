import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readRoom, currentIndex } from '../room.js'
import { roomDoc, momentAt, momentLabel, clock } from '../replay.js'

const roots = {
  meeting: { title: 'Họp giao ban', status: 'ended' },
  agenda: [{ id: 12.0, position: 2, title: 'Hai' }, { id: 11.0, position: 1, title: 'Một' }],
  cursor: { item: 12.0 },
  people: { 7: { id: 7.0, name: 'Trần Thị Bình' } },
  floor: { user: 7.0, kind: 'speech' },
  polls: { 3: { id: 3.0, status: 'open', kind: 'secret', cast: 2.0 } },
}

test('a replayed room reads like a live one', () => {
  const room = readRoom(roomDoc(roots))
  assert.deepEqual(room.agenda.map((i) => i.title), ['Một', 'Hai'])
  assert.equal(currentIndex(room), 1)
  assert.equal(room.floor.user, 7)
  assert.equal(room.polls[0].cast, 2)
  assert.equal(room.polls[0].counts, undefined)
  assert.deepEqual(room.attendance, {})
})

test('the moment at a time, and its line in Vietnamese', () => {
  const moments = [
    { at: '2026-12-03T01:00:00Z', kind: 'session.open', data: {} },
    { at: '2026-12-03T01:05:00Z', kind: 'speaker.grant', data: { user: 7 } },
  ]
  assert.equal(momentAt(moments, Date.parse('2026-12-03T00:59:59Z')), -1)
  assert.equal(momentAt(moments, Date.parse('2026-12-03T01:04:59Z')), 0)
  assert.equal(momentAt(moments, Date.parse('2026-12-03T02:00:00Z')), 1)
  const room = readRoom(roomDoc(roots))
  assert.equal(momentLabel(moments[1], room), 'Trần Thị Bình được phát biểu')
  assert.equal(momentLabel(moments[0], room), 'Khai mạc phiên họp')
  assert.equal(momentLabel({ kind: 'agenda.goto', data: { item: 12 } }, room), 'Chuyển sang mục 2. Hai')
  assert.equal(clock(Date.parse('2026-12-03T01:05:09Z')), '08:05:09')
})
