import { test } from 'node:test'
import assert from 'node:assert/strict'
import { retryDelay, rateLimitedDelay, soonDelay, DEFAULT_BACKOFF } from '../backoff.js'
import { isFinalClose } from '../messages.js'

test('delays stay between the floor and a ceiling that doubles up to the cap', () => {
  const { floor, cap } = DEFAULT_BACKOFF
  assert.equal(retryDelay(0, {}, () => 0), floor)
  assert.equal(retryDelay(0, {}, () => 1), 1000)
  assert.equal(retryDelay(3, {}, () => 1), 8000)
  assert.equal(retryDelay(50, {}, () => 1), cap)
})

test('a room of laptops does not come back in lock-step', () => {
  const delays = Array.from({ length: 90 }, () => retryDelay(2))
  const seconds = new Set(delays.map((d) => Math.floor(d / 500)))
  assert.ok(seconds.size >= 6, `90 delays fell in only ${seconds.size} half-second slots`)
})

test('after 4429 the wait is long', () => {
  assert.ok(rateLimitedDelay({}, () => 0) >= 30000)
  assert.ok(rateLimitedDelay({}, () => 1) <= 60000)
})

test('which close codes are final', () => {
  for (const code of [4400, 4401, 4403, 4404, 4413, 4499]) assert.ok(isFinalClose(code), code)
  for (const code of [1000, 1001, 1006, 1011, 1013, 4429, 4000, 4500]) assert.ok(!isFinalClose(code), code)
})

test('when the server asks to come back soon, the wait never grows past two seconds', () => {
  assert.equal(soonDelay({}, () => 0), DEFAULT_BACKOFF.floor)
  assert.equal(soonDelay({}, () => 1), 2000)
  const delays = Array.from({ length: 90 }, () => soonDelay())
  assert.ok(Math.max(...delays) <= 2000)
  assert.ok(new Set(delays.map((d) => Math.floor(d / 250))).size >= 5, 'spread over the window')
})
