import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pickMeeting, meetingFromUrl } from '../src/pick.js'

const now = Date.parse('2026-11-30T08:00:00+07:00')

test('the meeting in session wins, else the nearest one not over', () => {
  const meetings = [
    { id: 1, status: 'scheduled', starts_at: '2026-11-30T08:30:00+07:00' },
    { id: 2, status: 'closed', starts_at: '2026-11-30T07:55:00+07:00' },
    { id: 3, status: 'scheduled', starts_at: '2026-12-05T08:00:00+07:00' },
  ]
  assert.equal(pickMeeting(meetings, now).id, 1)
  assert.equal(pickMeeting([...meetings, { id: 4, status: 'live', starts_at: '2026-11-29T08:00:00+07:00' }], now).id, 4)
  assert.equal(pickMeeting([meetings[1]], now), null)
  assert.equal(pickMeeting([], now), null)
})

test('the URL may name the meeting', () => {
  assert.equal(meetingFromUrl({ hash: '#/meeting/12', search: '' }), '12')
  assert.equal(meetingFromUrl({ hash: '', search: '?meeting=7&lang=en' }), '7')
  assert.equal(meetingFromUrl({ hash: '', search: '' }), null)
})
