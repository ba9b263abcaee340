// Re-reading something the server changes without a live document (answers
// to invitations, deputies awaiting consent): every `ms` while the page is
// visible, never two reads at once, and at once when the page comes back.

export function refreshEvery(ms, fn) {
  let running = false
  let stopped = false
  async function tick() {
    if (running || stopped || globalThis.document?.visibilityState === 'hidden') return
    running = true
    try {
      await fn()
    } finally {
      running = false
    }
  }
  const timer = setInterval(tick, ms)
  const onVisible = () => tick()
  globalThis.document?.addEventListener('visibilitychange', onVisible)
  return () => {
    stopped = true
    clearInterval(timer)
    globalThis.document?.removeEventListener('visibilitychange', onVisible)
  }
}
