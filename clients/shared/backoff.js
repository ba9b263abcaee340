// Reconnect delays. "Full jitter": a random delay anywhere below an
// exponentially growing ceiling, so a room of 90 laptops that lost the same
// wifi access point comes back spread out instead of in lock-step.

export const DEFAULT_BACKOFF = Object.freeze({
  base: 1000, // ceiling of the first retry, ms
  cap: 30000, // ceiling never grows past this
  floor: 250, // never retry sooner than this
  rateLimited: 30000, // after 4429: at least this long, plus up to as much again
  soon: 2000, // after 1012/1013: the server is up and asks to come back soon
})

export function retryDelay(attempt, options = {}, random = Math.random) {
  const { base, cap, floor } = { ...DEFAULT_BACKOFF, ...options }
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30))
  return Math.round(floor + random() * Math.max(0, ceiling - floor))
}

export function rateLimitedDelay(options = {}, random = Math.random) {
  const { rateLimited } = { ...DEFAULT_BACKOFF, ...options }
  return Math.round(rateLimited * (1 + random()))
}

// The server itself closed and asked to be tried again soon: it is restarting
// (1012) or cannot serve the room this moment (1013: its database is away, or
// this laptop fell behind). It answers such retries cheaply, so the wait does
// not grow: the room is whole again within `soon` of the server being able
// to serve it, still spread over that window.
export function soonDelay(options = {}, random = Math.random) {
  const { floor, soon } = { ...DEFAULT_BACKOFF, ...options }
  return Math.round(floor + random() * Math.max(0, soon - floor))
}
