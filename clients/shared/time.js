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

/** The date part of a time as people write it here: "15/03/2027" (Vietnam time). */
export function dateField(value) {
  const date = toDate(value)
  if (!date) return ''
  const p = parts(date)
  return `${two(p.day)}/${two(p.month)}/${p.year}`
}

/** The time part, 24-hour: "08:00" (Vietnam time). */
export const timeField = (value) => formatTime(value)

/**
 * "15/03/2027" and "8:00" (or "08h00") typed by a person, read as Vietnam
 * time, as ISO 8601 with its offset; null if either does not make sense.
 */
export function fromFields(dateText, timeText) {
  const d = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$/.exec(String(dateText ?? ''))
  const t = /^\s*(\d{1,2})\s*[:hg.]\s*(\d{2})?\s*$/i.exec(String(timeText ?? ''))
  if (!d || !t) return null
  const [day, month, year] = [Number(d[1]), Number(d[2]), Number(d[3])]
  const [hour, minute] = [Number(t[1]), Number(t[2] ?? 0)]
  if (hour > 23 || minute > 59) return null
  const probe = new Date(Date.UTC(year, month - 1, day))
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return null
  return `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:00+07:00`
}
