// The heartbeat's deadline: when to ping, when a socket is dead.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_HEARTBEAT, heartbeatAction, heartbeatTick, worstCaseMs } from '../heartbeat.js'

const opts = { idleMs: 2000, deadlineMs: 3000 }

test('a talking server is left alone; a silent one is pinged', () => {
  assert.equal(heartbeatAction({ now: 1999, lastMessageAt: 0, pingSentAt: 0 }, opts), 'wait')
  assert.equal(heartbeatAction({ now: 2000, lastMessageAt: 0, pingSentAt: 0 }, opts), 'ping')
})

test('an unanswered ping is dead after the deadline, not before', () => {
  assert.equal(heartbeatAction({ now: 4999, lastMessageAt: 0, pingSentAt: 2000 }, opts), 'wait')
  assert.equal(heartbeatAction({ now: 5000, lastMessageAt: 0, pingSentAt: 2000 }, opts), 'dead')
})

test('any frame after the ping answers it', () => {
  assert.equal(heartbeatAction({ now: 9000, lastMessageAt: 2100, pingSentAt: 2000 }, opts), 'ping')
  assert.equal(heartbeatAction({ now: 3000, lastMessageAt: 2100, pingSentAt: 2000 }, opts), 'wait')
})

test('a frozen server is noticed within about five seconds, always under eight', () => {
  // Walk the watchdog's ticks from the server's last frame until it gives up.
  const tick = heartbeatTick()
  for (const offset of [0, 1, tick / 2, tick - 1]) {
    let pingSentAt = 0
    let now = offset
    let verdict = 'wait'
    while (verdict !== 'dead' && now < 60000) {
      now += tick
      verdict = heartbeatAction({ now, lastMessageAt: 0, pingSentAt })
      if (verdict === 'ping') pingSentAt = now
    }
    assert.equal(verdict, 'dead')
    assert.ok(now <= worstCaseMs(), `${now} > ${worstCaseMs()}`)
  }
  assert.ok(worstCaseMs() <= 6000, worstCaseMs())
  assert.ok(DEFAULT_HEARTBEAT.connectMs <= 8000)
})
