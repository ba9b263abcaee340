// Laptops are shared: after logout nothing of the person may stay behind:
// storage, caches, service workers, IndexedDB, open sockets, page images.

import { logout } from './api.js'
import { LANG_STORAGE_KEY } from './i18n/index.js'
import { DEVICE_STORAGE_KEY } from './device.js'
import { closeAllConnections } from './live.js'
import { clearImages } from './images.js'

// What belongs to the device rather than the person.
const KEEP = [LANG_STORAGE_KEY, DEVICE_STORAGE_KEY]

/** Empty both storages, keeping only the device's language and name. */
export function clearStorage() {
  try {
    const kept = KEEP.map((key) => [key, localStorage.getItem(key)])
    localStorage.clear()
    for (const [key, value] of kept) if (value !== null) localStorage.setItem(key, value)
    sessionStorage.clear()
  } catch {
    // storage disabled: nothing was kept
  }
}

/** Everything else a page can reach: Cache Storage, service workers, IndexedDB. */
export async function clearBrowserData() {
  const jobs = []
  if (globalThis.caches?.keys) {
    jobs.push(caches.keys().then((keys) => Promise.all(keys.map((k) => caches.delete(k)))))
  }
  if (globalThis.navigator?.serviceWorker?.getRegistrations) {
    jobs.push(
      navigator.serviceWorker.getRegistrations().then((regs) => Promise.all(regs.map((r) => r.unregister()))),
    )
  }
  if (globalThis.indexedDB?.databases) {
    jobs.push(
      indexedDB.databases().then((dbs) =>
        Promise.all(
          dbs.map(
            (db) =>
              new Promise((resolve) => {
                const req = indexedDB.deleteDatabase(db.name)
                req.onsuccess = req.onerror = req.onblocked = () => resolve()
              }),
          ),
        ),
      ),
    )
  }
  const results = await Promise.allSettled(jobs)
  for (const r of results) if (r.status === 'rejected') console.warn('clearing browser data', r.reason)
}

/** The local part of a logout, also used when the session expired. */
export async function clearUserData() {
  closeAllConnections()
  clearImages()
  clearStorage()
  await clearBrowserData()
}

/**
 * Close every live connection, revoke the session on the server (best
 * effort: the local part happens even offline) and clear the browser.
 */
export async function endSession() {
  closeAllConnections()
  try {
    await logout()
  } catch (err) {
    console.warn('logout request failed', err)
  }
  await clearUserData()
}
