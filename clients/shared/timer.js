// Clocks that count down from a start time plus a duration (the room sends
// timers that way, so nothing ticks in the document). The server's clock and
// the laptop's may differ a little; a second or two does not matter here.

/**
 * @param {number} startedMs ms since the epoch
 * @param {number} seconds the limit
 * @returns {{elapsed: number, remaining: number, overrun: boolean, warn: boolean}}
 *   in whole seconds; remaining is negative once over
 */
export function countdown(startedMs, seconds, now = Date.now()) {
  const elapsed = Math.max(0, Math.floor((now - Number(startedMs)) / 1000))
  const limit = Math.max(0, Math.round(Number(seconds) || 0))
  const remaining = limit - elapsed
  return {
    elapsed,
    remaining,
    overrun: limit > 0 && remaining < 0,
    // The last fifth of the time, at most the last minute.
    warn: limit > 0 && remaining >= 0 && remaining <= Math.min(60, Math.ceil(limit / 5)),
  }
}

/** 75 -> "01:15", -5 -> "-00:05", 3725 -> "1:02:05". */
export function formatSeconds(total) {
  const sign = total < 0 ? '-' : ''
  let rest = Math.abs(Math.trunc(total))
  const hours = Math.floor(rest / 3600)
  rest -= hours * 3600
  const two = (n) => String(n).padStart(2, '0')
  const mmss = `${two(Math.floor(rest / 60))}:${two(rest % 60)}`
  return hours ? `${sign}${hours}:${mmss}` : `${sign}${mmss}`
}
