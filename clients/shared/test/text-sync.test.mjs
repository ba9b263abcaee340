// The minutes editor's binding: minimal diffs, caret kept through remote
// edits, input-method composition, and seeding the empty text once.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { textDiff, transformIndex, seedText, bindTextarea } from '../text-sync.js'

const apply = (text, d) => (d ? text.slice(0, d.index) + d.insert + text.slice(d.index + d.remove) : text)

test('a diff is one delete and one insert at the first difference', () => {
  assert.equal(textDiff('abc', 'abc'), null)
  assert.deepEqual(textDiff('abc', 'abXc'), { index: 2, remove: 0, insert: 'X' })
  assert.deepEqual(textDiff('abc', 'ac'), { index: 1, remove: 1, insert: '' })
  assert.deepEqual(textDiff('', 'Biên bản'), { index: 0, remove: 0, insert: 'Biên bản' })
  // Repeated letters: prefix first, the suffix never overlaps it.
  assert.deepEqual(textDiff('aaa', 'aaaa'), { index: 3, remove: 0, insert: 'a' })
  assert.deepEqual(textDiff('aaaa', 'aa'), { index: 2, remove: 2, insert: '' })
  // Vietnamese: a tone mark typed onto a letter (precomposed) replaces one unit.
  assert.deepEqual(textDiff('Quang Binh', 'Quảng Binh'), { index: 2, remove: 1, insert: 'ả' })
  const pairs = [
    ['Thư ký', 'Thư ký Trần Thị Bình'],
    ['Chủ tọa: [họ tên]', 'Chủ tọa: Nguyễn Văn An'],
    ['I. THÀNH PHẦN\nII. NỘI DUNG', 'I. THÀNH PHẦN THAM DỰ\nII. NỘI DUNG'],
  ]
  for (const [a, b] of pairs) {
    assert.equal(apply(a, textDiff(a, b)), b)
    assert.equal(apply(b, textDiff(b, a)), a)
  }
})

test('a surrogate pair is never cut in two', () => {
  // 😀 is \ud83d\ude00, 😃 is \ud83d\ude03: they share the high half.
  const d = textDiff('a😀b', 'a😃b')
  assert.deepEqual(d, { index: 1, remove: 2, insert: '😃' })
  // Two characters with the same low half: the suffix must not start inside a pair.
  const e = textDiff('x\ud83d\ude00', 'x\ud83e\ude00')
  assert.deepEqual(e, { index: 1, remove: 2, insert: '\ud83e\ude00' })
  const cut = /^[\udc00-\udfff]|[\ud800-\udbff]$/
  for (const [a, b] of [['😀😀', '😀'], ['a😀', '😀a'], ['😃x😀', '😀x😃'], ['ạ😀', 'ạ😃']]) {
    const diff = textDiff(a, b)
    assert.equal(apply(a, diff), b)
    assert.ok(!cut.test(diff.insert), `${a} -> ${b}`)
    assert.ok(!cut.test(a.slice(diff.index, diff.index + diff.remove)), `${a} -> ${b}`)
  }
})

test('positions follow remote deltas', () => {
  const delta = [{ retain: 2 }, { insert: 'XY' }, { retain: 3 }, { delete: 2 }]
  assert.equal(transformIndex(0, delta), 0)
  assert.equal(transformIndex(1, delta), 1)
  assert.equal(transformIndex(2, delta), 2, 'an insert at the caret goes after it')
  assert.equal(transformIndex(2, delta, { after: true }), 4)
  assert.equal(transformIndex(4, delta), 6)
  assert.equal(transformIndex(6, delta), 7, 'in the deleted range: where it was')
  assert.equal(transformIndex(9, delta), 9)
  assert.equal(transformIndex(3, [{ delete: 5 }]), 0)
})

/** A textarea good enough for the binding, with the browser's events. */
class FakeArea {
  constructor() {
    this.value = ''
    this.selectionStart = 0
    this.selectionEnd = 0
    this.scrollTop = 0
    this.listeners = {}
    this.ownerDocument = { activeElement: this }
  }
  addEventListener(type, fn) {
    ;(this.listeners[type] ??= new Set()).add(fn)
  }
  removeEventListener(type, fn) {
    this.listeners[type]?.delete(fn)
  }
  emit(type, event = {}) {
    for (const fn of this.listeners[type] ?? []) fn(event)
  }
  setSelectionRange(start, end) {
    this.selectionStart = start
    this.selectionEnd = end
  }
  /** The person types `text` at the caret. */
  type(text, { composing = false } = {}) {
    const at = this.selectionStart
    this.value = this.value.slice(0, at) + text + this.value.slice(this.selectionEnd)
    this.setSelectionRange(at + text.length, at + text.length)
    this.emit('input', { isComposing: composing })
  }
}

/** Two replicas that exchange every update at once, like the server relaying them. */
function pair() {
  const a = new Y.Doc()
  const b = new Y.Doc()
  a.on('update', (u, origin) => origin !== 'net' && Y.applyUpdate(b, u, 'net'))
  b.on('update', (u, origin) => origin !== 'net' && Y.applyUpdate(a, u, 'net'))
  return [a, b]
}

test('two writers see each other and keep their carets', () => {
  const [docA, docB] = pair()
  const areaA = new FakeArea()
  const areaB = new FakeArea()
  const bindA = bindTextarea(docA.getText('text'), areaA)
  const bindB = bindTextarea(docB.getText('text'), areaB)
  areaA.type('Kết luận: ')
  assert.equal(areaB.value, 'Kết luận: ')
  areaB.setSelectionRange(areaB.value.length, areaB.value.length)
  areaB.type('đồng ý.')
  assert.equal(areaA.value, 'Kết luận: đồng ý.')
  // A writes at the start; B's caret (at the end) moves with its text.
  areaA.setSelectionRange(0, 0)
  areaA.type('III. ')
  assert.equal(areaB.value, 'III. Kết luận: đồng ý.')
  assert.equal(areaB.selectionStart, areaB.value.length)
  areaB.type(' Giao Sở Tài chính.')
  assert.equal(areaA.value, 'III. Kết luận: đồng ý. Giao Sở Tài chính.')
  // A's caret after "III. " stays there while B deletes behind it.
  areaA.setSelectionRange(5, 5)
  areaB.setSelectionRange(14, 22)
  areaB.type('')
  assert.equal(areaA.value, 'III. Kết luận: Giao Sở Tài chính.')
  assert.equal(areaA.selectionStart, 5)
  assert.equal(docA.getText('text').toString(), docB.getText('text').toString())
  bindA.destroy()
  bindB.destroy()
})

test('only the changed part is sent: one small update per keystroke', () => {
  const [docA, docB] = pair()
  const area = new FakeArea()
  bindTextarea(docA.getText('text'), area)
  area.type('x'.repeat(500))
  const sizes = []
  docA.on('update', (u) => sizes.push(u.length))
  area.setSelectionRange(250, 250)
  area.type('ạ')
  assert.equal(sizes.length, 1)
  assert.ok(sizes[0] < 40, `update of ${sizes[0]} bytes`)
  assert.equal(docB.getText('text').toString(), `${'x'.repeat(250)}ạ${'x'.repeat(250)}`)
})

test('remote edits wait while an input method composes, then merge', () => {
  const [docA, docB] = pair()
  const areaA = new FakeArea()
  const areaB = new FakeArea()
  bindTextarea(docA.getText('text'), areaA)
  bindTextarea(docB.getText('text'), areaB)
  areaA.type('Thông qua dự toán.')
  areaA.emit('compositionstart')
  areaA.setSelectionRange(10, 10)
  areaA.type('ngân sách ', { composing: true })
  // B edits the start meanwhile; A's textarea is left alone during composition.
  areaB.setSelectionRange(0, 0)
  areaB.type('1. ')
  assert.equal(areaA.value, 'Thông qua ngân sách dự toán.')
  areaA.emit('compositionend')
  const want = '1. Thông qua ngân sách dự toán.'
  assert.equal(areaA.value, want)
  assert.equal(areaB.value, want)
  assert.equal(areaA.selectionStart, 3 + 10 + 'ngân sách '.length)
})

test('the empty text is seeded once, even by two people at the same moment', () => {
  const draft = 'BIÊN BẢN\nI. THÀNH PHẦN THAM DỰ\nIII. KẾT LUẬN CỦA CHỦ TỌA'
  const a = new Y.Doc()
  const b = new Y.Doc()
  assert.equal(seedText(a, 'text', draft), true)
  assert.equal(seedText(b, 'text', draft), true)
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  assert.equal(a.getText('text').toString(), draft)
  assert.equal(b.getText('text').toString(), draft)
  assert.equal(seedText(a, 'text', draft), false, 'never over existing text')

  // Different seeds are not mistaken for one another: both stay, replicas agree.
  const c = new Y.Doc()
  const d = new Y.Doc()
  seedText(c, 'text', 'một')
  seedText(d, 'text', 'hai')
  Y.applyUpdate(c, Y.encodeStateAsUpdate(d))
  Y.applyUpdate(d, Y.encodeStateAsUpdate(c))
  assert.equal(c.getText('text').toString(), d.getText('text').toString())
  assert.equal(c.getText('text').length, 6)

  // Emptied after seeding: seeding again still fills it.
  a.getText('text').delete(0, a.getText('text').length)
  assert.equal(seedText(a, 'text', draft), true)
  assert.equal(a.getText('text').toString(), draft)
})

test('a seed put into the bound document shows in the textarea', () => {
  const doc = new Y.Doc()
  const area = new FakeArea()
  bindTextarea(doc.getText('text'), area, { origin: 'typing' })
  seedText(doc, 'text', 'Thời gian: bắt đầu lúc 08:00.', 'seed')
  assert.equal(area.value, 'Thời gian: bắt đầu lúc 08:00.')
})
