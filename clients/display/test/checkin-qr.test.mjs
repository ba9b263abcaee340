import { test } from 'node:test'
import assert from 'node:assert/strict'
import { wantedOnStage, wantedWhileWaiting } from '../src/checkin-qr.js'

const start = '2026-12-15T08:00:00+07:00'
const at = (iso) => Date.parse(iso)
const room = (state, status = 'invited', display = {}) => ({ meeting: { starts_at: start, status }, session: { state }, display })

test('the stage shows the QR code while check-in is open, until the desk hides it', () => {
  const inWindow = at('2026-12-15T07:30:00+07:00')
  const dayBefore = at('2026-12-14T08:00:00+07:00')
  assert.equal(wantedOnStage(room('not_started'), inWindow), true)
  assert.equal(wantedOnStage(room('not_started'), dayBefore), false)
  assert.equal(wantedOnStage(room('open', 'in_session'), dayBefore), true) // opened early
  assert.equal(wantedOnStage(room('open', 'in_session', { checkin_qr: false }), inWindow), false)
  assert.equal(wantedOnStage(room('open', 'in_session', { checkin_qr: true }), inWindow), true)
  assert.equal(wantedOnStage(room('closed', 'ended'), inWindow), false)
  assert.equal(wantedOnStage(room('not_started', 'draft'), inWindow), false)
})

test('the waiting screen shows the next meeting\'s code from an hour before', () => {
  const next = { id: 4, status: 'invited', starts_at: start }
  assert.equal(wantedWhileWaiting(next, at('2026-12-15T07:00:00+07:00')), true)
  assert.equal(wantedWhileWaiting(next, at('2026-12-15T06:59:00+07:00')), false)
  assert.equal(wantedWhileWaiting(null, at('2026-12-15T07:30:00+07:00')), false)
  assert.equal(wantedWhileWaiting({ ...next, status: 'draft' }, at('2026-12-15T07:30:00+07:00')), false)
})
