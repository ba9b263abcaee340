import { test } from 'node:test'
import assert from 'node:assert/strict'
import { WINDOW_MIN, windowOpensAt, isEarly, checkInOpen } from '../checkin.js'

const start = '2026-12-15T08:00:00+07:00'
const at = (iso) => Date.parse(iso)

test('the window opens WINDOW_MIN minutes before the start', () => {
  assert.equal(WINDOW_MIN, 60)
  assert.equal(windowOpensAt(start), at('2026-12-15T07:00:00+07:00'))
  assert.equal(windowOpensAt(undefined), null)
  assert.equal(isEarly(start, at('2026-12-14T08:00:00+07:00')), true)
  assert.equal(isEarly(start, at('2026-12-15T06:59:59+07:00')), true)
  assert.equal(isEarly(start, at('2026-12-15T07:00:00+07:00')), false)
  assert.equal(isEarly('', at('2026-12-14T08:00:00+07:00')), false)
})

test('check-in is open in the window, or once the chair opened, never after the close', () => {
  const dayBefore = at('2026-12-14T08:00:00+07:00')
  const room = (state) => ({ meeting: { starts_at: start }, session: { state } })
  assert.equal(checkInOpen(room('not_started'), dayBefore), false)
  assert.equal(checkInOpen(room('open'), dayBefore), true)
  assert.equal(checkInOpen(room('suspended'), dayBefore), true)
  assert.equal(checkInOpen(room('not_started'), at('2026-12-15T07:30:00+07:00')), true)
  assert.equal(checkInOpen(room('closed'), at('2026-12-15T07:30:00+07:00')), false)
})

test('the early opening says how long until the start, in both languages', async () => {
  const { timeUntilStart } = await import('../checkin.js')
  const { t, setLang } = await import('../i18n/index.js')
  const tenHours = at('2026-12-14T21:55:00+07:00')
  assert.equal(timeUntilStart(start, tenHours), '10 giờ 5 phút')
  assert.equal(t('console.openEarlyBody', { time: '08:00', left: timeUntilStart(start, tenHours) }),
    'Cuộc họp bắt đầu lúc 08:00, còn 10 giờ 5 phút nữa.')
  assert.equal(timeUntilStart(start, at('2026-12-14T08:00:10+07:00')), '1 ngày')
  assert.equal(timeUntilStart(start, at('2026-12-13T06:00:00+07:00')), '2 ngày 2 giờ')
  assert.equal(timeUntilStart(start, at('2026-12-15T06:00:00+07:00')), '2 giờ')
  assert.equal(timeUntilStart(start, at('2026-12-15T06:59:00+07:00')), '1 giờ 1 phút')
  setLang('en', { persist: false })
  try {
    assert.equal(timeUntilStart(start, tenHours), '10 hours 5 minutes')
    assert.equal(timeUntilStart(start, at('2026-12-15T06:59:00+07:00')), '1 hour 1 minute')
    assert.equal(timeUntilStart(start, at('2026-12-14T07:00:00+07:00')), '1 day 1 hour')
    assert.equal(t('console.openEarlyBody', { time: '08:00', left: timeUntilStart(start, tenHours) }),
      'The meeting starts at 08:00, 10 hours 5 minutes from now.')
  } finally {
    setLang('vi', { persist: false })
  }
})
