// Counted phrases: "1 vote", "2 votes" in English; one form in Vietnamese.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import en from '../i18n/en.js'
import { t, setLang, pluralCategory } from '../i18n/index.js'

test('English picks the singular for one and the plural otherwise', () => {
  setLang('en', { persist: false })
  try {
    assert.equal(t('poll.votes', { count: 1, share: '50 %' }), '1 vote (50 %)')
    assert.equal(t('poll.votes', { count: 2, share: '50 %' }), '2 votes (50 %)')
    assert.equal(t('poll.votes', { count: 0, share: '0 %' }), '0 votes (0 %)')
    assert.equal(t('docs.pages', { count: 1 }), '1 page')
    assert.equal(t('poll.basis.members', { count: 1, share: '25 %' }), '1 member (25 %)')
    assert.equal(t('poll.basis.members', { count: 3, share: '75 %' }), '3 members (75 %)')
    assert.equal(t('search.count', { count: 1 }), '1 result.')
    assert.equal(t('search.count', { count: 3 }), '3 results.')
    // A count that is not a number takes the general form.
    assert.equal(t('docs.pages', { count: '?' }), '? pages')
  } finally {
    setLang('vi', { persist: false })
  }
})

test('Vietnamese has one form for every count', () => {
  assert.equal(pluralCategory(1, 'vi'), 'other')
  assert.equal(t('poll.votes', { count: 1, share: '50 %' }), t('poll.votes', { count: 2, share: '50 %' }).replace('2', '1'))
})

test('every plural entry has the general form', () => {
  for (const [key, entry] of Object.entries(en)) {
    if (typeof entry !== 'string') assert.equal(typeof entry.other, 'string', key)
  }
})
