// Laptops are shared: after logout nothing of the person may stay behind.

import { logout } from './api.js'
import { LANG_STORAGE_KEY } from './i18n/index.js'

/** Empty both storages, keeping only the language of the device. */
export function clearUserData() {
  try {
    const lang = localStorage.getItem(LANG_STORAGE_KEY)
    localStorage.clear()
    if (lang !== null) localStorage.setItem(LANG_STORAGE_KEY, lang)
    sessionStorage.clear()
  } catch {
    // storage disabled: nothing was kept
  }
}

/**
 * Revoke the session on the server (best effort: the local part happens even
 * offline), close the given live connections and clear the browser.
 */
export async function endSession(connections = []) {
  for (const connection of connections) connection.destroy()
  try {
    await logout()
  } catch (err) {
    console.warn('logout request failed', err)
  }
  clearUserData()
}
