// The user's language: Vietnamese first, English second. The choice is a
// device preference, so it is the one thing kept in storage across logouts.

import vi from './vi.js'
import en from './en.js'

export const LANGS = Object.freeze(['vi', 'en'])
export const LANG_STORAGE_KEY = 'phonghop.lang'
const catalogues = { vi, en }
const listeners = new Set()

let lang = stored() ?? 'vi'

function stored() {
  try {
    const value = globalThis.localStorage?.getItem(LANG_STORAGE_KEY)
    return LANGS.includes(value) ? value : null
  } catch {
    return null
  }
}

export const getLang = () => lang

export function setLang(next, { persist = true } = {}) {
  if (!LANGS.includes(next)) return
  lang = next
  if (persist) {
    try {
      globalThis.localStorage?.setItem(LANG_STORAGE_KEY, next)
    } catch {
      // storage disabled: the choice lasts until the page reloads
    }
  }
  if (globalThis.document) document.documentElement.lang = next
  for (const fn of listeners) fn(next)
}

export const otherLang = () => (lang === 'vi' ? 'en' : 'vi')

/** Call fn(lang) whenever the language changes. Returns unsubscribe. */
export function onLangChange(fn) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

export const has = (key) => key in catalogues[lang] || key in catalogues.vi

const pluralRules = new Map()

/** The plural category of n in a language ('one', 'other' ...). */
export function pluralCategory(n, language = lang) {
  if (!pluralRules.has(language)) pluralRules.set(language, new Intl.PluralRules(language))
  return pluralRules.get(language).select(Number(n))
}

/**
 * A catalogue entry is a string, or for a counted phrase an object of plural
 * forms ({one, other}) chosen by params.count: "1 vote", "2 votes", while
 * Vietnamese needs one form.
 */
function pick(entry, params) {
  if (typeof entry === 'string' || entry === undefined) return entry
  const forms = entry
  const count = Number(params.count)
  if (!Number.isFinite(count)) return forms.other
  return forms[pluralCategory(count)] ?? forms.other
}

/** The string for key in the current language, with {name} placeholders filled. */
export function t(key, params = {}) {
  const template = pick(catalogues[lang][key], params) ?? pick(catalogues.vi[key], params) ?? key
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? String(params[name]) : whole,
  )
}

/** A readable message for an ApiError or IntentError, by its code. */
export function errorMessage(err) {
  // The server says what exactly was wrong ("mỗi chuỗi 1-200 ký tự"), in both
  // languages; the catalogue speaks for errors the server never saw (offline,
  // timeout) or sent without words.
  const fromServer = lang === 'vi' ? err?.serverMessage : err?.serverMessageEn || err?.serverMessage
  if (fromServer) return fromServer
  const code = err?.code
  if (code && has(`error.${code}`)) return t(`error.${code}`)
  return t('error.unknown')
}

/** A label for an enum-like value (role, status), or the value itself. */
export function label(prefix, value) {
  if (value === null || value === undefined || value === '') return ''
  const key = `${prefix}.${value}`
  return has(key) ? t(key) : String(value)
}
