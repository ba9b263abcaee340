// A plain <textarea> bound to a Y.Text, as the minutes are written
// (docs/protocol.md, `meeting/{id}/minutes`): each local change goes in as
// one delete and one insert at the first differing index, remote changes come
// out without moving the writer's caret. Y.Text counts UTF-16 code units,
// like JavaScript strings, so indexes pass straight through; a surrogate pair
// is never cut in two (Yjs would turn each half into U+FFFD).

import * as Y from 'yjs'

const isHigh = (code) => code >= 0xd800 && code <= 0xdbff
const isLow = (code) => code >= 0xdc00 && code <= 0xdfff

/**
 * The smallest single edit that turns `before` into `after`:
 * {index, remove, insert}, or null when they are equal.
 */
export function textDiff(before, after) {
  if (before === after) return null
  const shorter = Math.min(before.length, after.length)
  let start = 0
  while (start < shorter && before.charCodeAt(start) === after.charCodeAt(start)) start += 1
  if (start > 0 && isHigh(before.charCodeAt(start - 1))) start -= 1
  let tail = 0
  const room = shorter - start
  while (tail < room && before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) tail += 1
  if (tail > 0 && isLow(before.charCodeAt(before.length - tail))) tail -= 1
  return { index: start, remove: before.length - start - tail, insert: after.slice(start, after.length - tail) }
}

/**
 * Where a position of the old text lands after a Y.Text delta
 * ([{retain}, {insert}, {delete}]). Text inserted exactly at the position
 * goes before it when `after` is true, else after it.
 */
export function transformIndex(index, delta, { after = false } = {}) {
  let pos = 0
  let moved = index
  for (const op of delta) {
    if (pos > index) break
    if (op.retain !== undefined) {
      pos += op.retain
    } else if (op.insert !== undefined) {
      const length = typeof op.insert === 'string' ? op.insert.length : 1
      if (pos < index || (pos === index && after)) moved += length
    } else if (op.delete !== undefined) {
      if (pos < index) moved -= Math.min(op.delete, index - pos)
      pos += op.delete
    }
  }
  return Math.max(0, moved)
}

function hash32(text) {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h || 1
}

/**
 * Put `text` into the empty Y.Text `name` of `doc`. Two people who open the
 * empty minutes at the same moment both seed them: the insert is made by a
 * client id derived from the text itself, so identical seeds are the same
 * Yjs item on every replica and merge into one copy (different texts get
 * different ids and simply both stay). A seed that was made once and then
 * deleted is still known to the document: then the text is inserted as an
 * ordinary local edit. Returns whether anything was inserted.
 */
export function seedText(doc, name, text, origin = null) {
  const ytext = doc.getText(name)
  if (ytext.length > 0 || !text) return false
  const seed = new Y.Doc()
  seed.clientID = hash32(`${name}\u0000${text}`)
  seed.getText(name).insert(0, text)
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(seed), origin)
  seed.destroy()
  if (ytext.length === 0) doc.transact(() => ytext.insert(0, text), origin)
  return true
}

/**
 * Keep `area` (a textarea) and `ytext` the same. Returns {destroy, flush}.
 * While an input method composes (Vietnamese Telex on some systems), remote
 * changes wait and are merged when the composition ends.
 */
export function bindTextarea(ytext, area, { origin = Symbol('textarea') } = {}) {
  let base = ytext.toString() // what the textarea shows, as last agreed with ytext
  let composing = false
  let waiting = [] // remote deltas not shown yet, in order
  area.value = base

  const focused = () => area.ownerDocument?.activeElement === area

  function show(text, start, end) {
    const scroll = area.scrollTop
    area.value = text
    if (focused()) area.setSelectionRange(Math.min(start, text.length), Math.min(end, text.length))
    area.scrollTop = scroll
  }

  /** Push the textarea's changes into ytext, and show what came meanwhile. */
  function flush() {
    if (composing) return
    const now = area.value
    const change = textDiff(base, now)
    const queued = waiting
    waiting = []
    let caret = null
    if (change) {
      let index = change.index
      let end = change.index + change.remove
      for (const delta of queued) {
        index = transformIndex(index, delta, { after: true })
        end = Math.max(index, transformIndex(end, delta))
      }
      index = Math.min(index, ytext.length)
      const remove = Math.min(end - index, ytext.length - index)
      ytext.doc.transact(() => {
        if (remove > 0) ytext.delete(index, remove)
        if (change.insert) ytext.insert(index, change.insert)
      }, origin)
      caret = index + change.insert.length
    }
    const text = ytext.toString()
    base = text
    if (text === now) return
    if (caret !== null) {
      show(text, caret, caret)
    } else {
      let [start, end] = [area.selectionStart ?? 0, area.selectionEnd ?? 0]
      for (const delta of queued) {
        const range = start !== end
        start = transformIndex(start, delta, { after: range })
        end = transformIndex(end, delta)
      }
      show(text, start, Math.max(start, end))
    }
  }

  const observer = (event, transaction) => {
    if (transaction.origin === origin) return
    waiting.push(event.delta)
    if (!composing) flush()
  }
  const onInput = (e) => {
    if (!e?.isComposing) flush()
  }
  const onStart = () => {
    composing = true
  }
  const onEnd = () => {
    composing = false
    flush()
  }
  ytext.observe(observer)
  area.addEventListener('input', onInput)
  area.addEventListener('compositionstart', onStart)
  area.addEventListener('compositionend', onEnd)
  return {
    flush,
    destroy() {
      ytext.unobserve(observer)
      area.removeEventListener('input', onInput)
      area.removeEventListener('compositionstart', onStart)
      area.removeEventListener('compositionend', onEnd)
    },
  }
}
