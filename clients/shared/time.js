// Dates and times as people in Vietnam read them: "08:30, thứ Hai 30/11/2026".
// Meetings happen in Vietnam (UTC+7, no daylight saving), so times are shown
// in Vietnam time whatever the clock of the laptop says.

import { t } from './i18n/index.js'

const VN_OFFSET_MS = 7 * 3600 * 1000
const HAS_ZONE = /(?:[zZ]|[+-]\d{2}:?\d{2})$/
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

/** A Date from an ISO 8601 string or ms since epoch; a string without a zone is Vietnam time. */
export function toDate(value) {
  if (value === null || value === undefined || value === '') return null
  if (value instanceof Date) return value
  if (typeof value === 'number') return new Date(value)
  let text = String(value).trim()
  if (DATE_ONLY.test(text)) text += 'T00:00:00'
  if (!HAS_ZONE.test(text)) text += '+07:00'
  const date = new Date(text.replace(' ', 'T'))
  return Number.isNaN(date.getTime()) ? null : date
}

function parts(date) {
  const d = new Date(date.getTime() + VN_OFFSET_MS)
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    weekday: d.getUTCDay(),
  }
}

const two = (n) => String(n).padStart(2, '0')

export function formatTime(value) {
  const date = toDate(value)
  if (!date) return ''
  const p = parts(date)
  return `${two(p.hour)}:${two(p.minute)}`
}

export function formatDate(value) {
  const date = toDate(value)
  if (!date) return ''
  const p = parts(date)
  return t('format.date', {
    weekday: t(`weekday.${p.weekday}`),
    date: `${two(p.day)}/${two(p.month)}/${p.year}`,
  })
}

export function formatDateTime(value) {
  const date = toDate(value)
  if (!date) return ''
  return t('format.datetime', { time: formatTime(date), date: formatDate(date) })
}
