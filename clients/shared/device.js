// A name for this laptop, sent with the check-in (`?device=` on the room
// socket). It belongs to the machine, not the person, so it survives logout
// like the language does.

export const DEVICE_STORAGE_KEY = 'phonghop.device'

export function deviceName(prefix = 'web') {
  try {
    let name = localStorage.getItem(DEVICE_STORAGE_KEY)
    if (!name || !/^[\w.-]{1,40}$/.test(name)) {
      name = `${prefix}-${Math.floor(Math.random() * 36 ** 6).toString(36).padStart(6, '0')}`
      localStorage.setItem(DEVICE_STORAGE_KEY, name)
    }
    return name
  } catch {
    return prefix
  }
}
