// Noticing a server that stopped answering. A frozen process or a network
// that drops packets leaves the socket looking open for minutes, so the
// laptop asks: after `idleMs` without a frame it sends PING (the server
// answers PONG at once), and a socket silent `deadlineMs` after that ping is
// dead. A socket still not open after `connectMs` is given up too: a frozen
// server accepts the connection in the kernel and never answers it.
//
// With the defaults a laptop says "not connected" 5 to 6 s after the server
// last spoke, and an idle room costs the server one tiny frame per socket
// every 2 s.

export const DEFAULT_HEARTBEAT = Object.freeze({
  idleMs: 2000,
  deadlineMs: 3000,
  connectMs: 6000,
})

/**
 * What the watchdog does now: 'ping' (ask the server), 'dead' (give the socket
 * up) or 'wait'.
 * @param {object} s
 * @param {number} s.now
 * @param {number} s.lastMessageAt when the last frame arrived (or the socket opened)
 * @param {number} s.pingSentAt when the unanswered ping went out; 0: none
 */
export function heartbeatAction({ now, lastMessageAt, pingSentAt }, options = {}) {
  const { idleMs, deadlineMs } = { ...DEFAULT_HEARTBEAT, ...options }
  if (pingSentAt && pingSentAt > lastMessageAt) {
    return now - pingSentAt >= deadlineMs ? 'dead' : 'wait'
  }
  return now - lastMessageAt >= idleMs ? 'ping' : 'wait'
}

/** How often the watchdog looks: often enough to keep the deadline. */
export function heartbeatTick(options = {}) {
  const { idleMs, deadlineMs } = { ...DEFAULT_HEARTBEAT, ...options }
  return Math.max(20, Math.min(idleMs, deadlineMs) / 4)
}

/** The latest a frozen server is noticed, after its last frame. */
export function worstCaseMs(options = {}) {
  const { idleMs, deadlineMs } = { ...DEFAULT_HEARTBEAT, ...options }
  return idleMs + deadlineMs + 2 * heartbeatTick(options)
}
