import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pickMeeting, meetingFromUrl, nextScreen, CLOSED_HOLD_MS } from '../src/pick.js'

const now = Date.parse('2026-11-30T08:00:00+07:00')

test('the meeting in session wins over one starting nearer; statuses are the server\'s', () => {
  const meetings = [
    { id: 1, status: 'invited', starts_at: '2026-11-30T08:05:00+07:00' },
    { id: 2, status: 'ended', starts_at: '2026-11-30T07:55:00+07:00' },
    { id: 3, status: 'invited', starts_at: '2026-12-05T08:00:00+07:00' },
    { id: 5, status: 'draft', starts_at: '2026-11-30T08:01:00+07:00' },
  ]
  assert.equal(pickMeeting(meetings, now).id, 1, 'a draft is not announced')
  assert.equal(pickMeeting([...meetings, { id: 4, status: 'in_session', starts_at: '2026-11-30T06:00:00+07:00' }], now).id, 4)
  assert.equal(pickMeeting([meetings[1], { id: 6, status: 'archived', starts_at: '2026-11-30T08:00:00+07:00' }], now), null)
  assert.equal(pickMeeting([], now), null)
})

test('a room display follows the server: in session, just closed, waiting', () => {
  const answer = (id) => ({ room: { id: 1, name: 'Phòng 1' }, meeting: id ? { id, status: 'in_session' } : null })
  assert.deepEqual(nextScreen(answer(7), { id: null, closedSince: null }, now), { screen: 'stage', id: '7' })
  assert.deepEqual(nextScreen(answer(8), { id: '7', closedSince: now - 1000 }, now), { screen: 'stage', id: '8' }, 'another session opened')
  assert.deepEqual(nextScreen(answer(null), { id: '7', closedSince: now - 1000 }, now), { screen: 'stage', id: '7' }, 'the closed screen stays')
  assert.deepEqual(nextScreen(answer(null), { id: '7', closedSince: now - CLOSED_HOLD_MS }, now), { screen: 'waiting' })
  assert.deepEqual(nextScreen(answer(null), { id: '7', closedSince: null }, now), { screen: 'waiting' }, 'gone without a close seen')
  assert.deepEqual(nextScreen(answer(null), { id: null, closedSince: null }, now), { screen: 'waiting' })
})

test('the URL may name the meeting', () => {
  assert.equal(meetingFromUrl({ hash: '#/meeting/12', search: '' }), '12')
  assert.equal(meetingFromUrl({ hash: '', search: '?meeting=7&lang=en' }), '7')
  assert.equal(meetingFromUrl({ hash: '', search: '' }), null)
})
