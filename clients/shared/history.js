// Shared laptops: the browser's history list and its Back button show every
// entry's address and title, a meeting's title among them. Each entry this
// page adds (one per screen, by its hash) is marked with its depth, so that
// logout can go back to the first, blank its title and address, and cut off
// every entry after it.

const KEY = 'phonghopDepth'
let depth = 0

const depthOf = (state) => (state && typeof state[KEY] === 'number' ? state[KEY] : null)

function mark(value) {
  depth = value
  history.replaceState({ ...(history.state ?? {}), [KEY]: value }, '')
}

/** Call once at start and on every hashchange. */
export function markEntry() {
  const known = depthOf(history.state)
  if (known !== null) depth = known // back, forward or a reload
  else mark(trackingStarted ? depth + 1 : 0)
  trackingStarted = true
}
let trackingStarted = false

/**
 * Leave nothing of the person in this page's history: back to its first
 * entry, blank it, and drop the entries after it. The caller then loads the
 * login page in place.
 */
export async function forgetHistory(neutralTitle) {
  document.title = neutralTitle
  const back = depthOf(history.state) ?? depth
  if (back > 0) {
    await new Promise((resolve) => {
      const timer = setTimeout(done, 2000)
      function done() {
        clearTimeout(timer)
        globalThis.removeEventListener('popstate', done)
        resolve()
      }
      globalThis.addEventListener('popstate', done)
      history.go(-back)
    })
  }
  document.title = neutralTitle
  history.replaceState(null, '', location.pathname)
  // A new entry drops every entry after this one: the person's screens.
  history.pushState(null, '', location.pathname)
  depth = 0
}
