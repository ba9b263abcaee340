import { test } from 'node:test'
import assert from 'node:assert/strict'
import vi from '../i18n/vi.js'
import en from '../i18n/en.js'
import { t, setLang, errorMessage, label } from '../i18n/index.js'
import { formatDateTime, formatTime, toDate } from '../time.js'

test('both catalogues have the same keys and the same placeholders', () => {
  assert.deepEqual(Object.keys(en).sort(), Object.keys(vi).sort())
  const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
  // A counted phrase may come in plural forms: each has the same holes.
  const forms = (entry) => (typeof entry === 'string' ? [entry] : Object.values(entry))
  for (const key of Object.keys(vi)) {
    for (const form of forms(en[key])) assert.deepEqual(holes(form), holes(forms(vi[key])[0]), key)
  }
})

test('Vietnamese is the default, with Vietnamese dates', () => {
  assert.equal(t('login.submit'), 'Đăng nhập')
  assert.equal(formatDateTime('2026-11-30T08:30:00+07:00'), '08:30, thứ Hai 30/11/2026')
  assert.equal(formatDateTime('2026-11-29T01:30:00Z'), '08:30, Chủ nhật 29/11/2026')
  assert.equal(formatDateTime('2026-11-30T08:30:00'), '08:30, thứ Hai 30/11/2026', 'no zone: Vietnam time')
  assert.equal(formatTime(Date.UTC(2026, 10, 30, 17, 5)), '00:05')
  assert.equal(toDate('not a date'), null)
  assert.equal(formatDateTime(null), '')
})

test('errors say what the server said, else the catalogue by code', () => {
  assert.equal(errorMessage({ code: 'forbidden' }), 'Bạn không có quyền thực hiện thao tác này.')
  assert.equal(errorMessage({ code: 'new_code', serverMessage: 'Mới', serverMessageEn: 'New' }), 'Mới')
  assert.equal(errorMessage({ code: 'bad_intent', serverMessage: 'Mỗi phương án 1-200 ký tự.', serverMessageEn: 'Options: 1-200 characters.' }), 'Mỗi phương án 1-200 ký tự.')
  assert.equal(errorMessage({}), 'Đã có lỗi xảy ra.')
  assert.equal(label('role', 'chair'), 'Chủ tọa')
  assert.equal(label('status', 'odd'), 'odd')
})

test('English on request', () => {
  setLang('en', { persist: false })
  try {
    assert.equal(formatDateTime('2026-11-30T08:30:00+07:00'), '08:30, Monday 30/11/2026')
    assert.equal(errorMessage({ code: 'new_code', serverMessage: 'Mới', serverMessageEn: 'New' }), 'New')
  } finally {
    setLang('vi', { persist: false })
  }
})
