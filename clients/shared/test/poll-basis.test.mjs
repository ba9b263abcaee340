// Vote results read against the base their rule counts (issue 15, point 6).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { results, resultBasis, pollBase, neededFor, formatShare } from '../polls.js'
import { setLang } from '../i18n/index.js'

const closed = (extra) => ({ id: 3, status: 'closed', options: ['Đồng ý', 'Không đồng ý', 'Không biểu quyết'], ...extra })

test('a members rule counts every member: 4 of 9 is 44,4%, not 66,7% of the ballots', () => {
  setLang('vi', { persist: false })
  const poll = closed({ rule: 'members_majority', counts: [4, 1, 1], members: 9, eligible: 6, needed: 5, passed: false, base_kind: 'members', base: 9 })
  const basis = resultBasis(poll, 'vi')
  assert.equal(basis.rule, 'Thông qua khi quá 1/2 tổng số thành viên (5/9).')
  assert.equal(basis.first, 'Đồng ý 4/9 thành viên = 44,4%')
  const rows = results(poll)
  assert.deepEqual(rows.map((r) => [r.label, r.count, Math.round(r.share * 1000) / 10]), [
    ['Đồng ý', 4, 44.4],
    ['Không đồng ý', 1, 11.1],
    ['Không biểu quyết', 1, 11.1],
    ['Không tham gia biểu quyết', 3, 33.3],
  ])
  assert.ok(rows.at(-1).absent)
})

test('a present rule counts the members present; two thirds rounds up', () => {
  setLang('vi', { persist: false })
  const present = closed({ rule: 'present_majority', counts: [3, 2, 0], members: 9, eligible: 5, needed: 3, passed: true, base_kind: 'present', base: 5 })
  assert.equal(resultBasis(present).rule, 'Thông qua khi quá 1/2 số thành viên có mặt (3/5).')
  assert.equal(resultBasis(present).first, 'Đồng ý 3/5 thành viên có mặt = 60%')
  assert.equal(results(present).length, 3, 'everyone present voted')
  assert.equal(neededFor('two_thirds_members', { members: 9 }), 6)
  assert.equal(neededFor('two_thirds_members', { members: 10 }), 7)
  assert.equal(neededFor('members_majority', { members: 10 }), 6)
  // A poll closed before the server named the base: read from its rule.
  const older = closed({ rule: 'two_thirds_members', counts: [6, 1, 0], members: 9, eligible: 8, passed: true })
  assert.deepEqual(pollBase(older), { kind: 'members', count: 9 })
  assert.equal(resultBasis(older).rule, 'Thông qua khi đạt ít nhất 2/3 tổng số thành viên (6/9).')
})

test('without a rule the ballots are the base; English reads the same numbers', () => {
  const bare = closed({ counts: [2, 1, 1] })
  assert.deepEqual(pollBase(bare), { kind: 'cast', count: 4 })
  assert.equal(resultBasis(bare, 'vi').rule, '')
  assert.equal(resultBasis({ ...bare, status: 'open' }), null)
  setLang('en', { persist: false })
  const poll = closed({ options: ['Yes', 'No'], rule: 'members_majority', counts: [4, 2], members: 9, needed: 5, base_kind: 'members', base: 9 })
  assert.equal(resultBasis(poll, 'en').rule, 'Passes with more than 1/2 of all members (5/9).')
  assert.equal(resultBasis(poll, 'en').first, 'Yes 4/9 members = 44.4%')
  setLang('vi', { persist: false })
  assert.equal(formatShare(2 / 3, 'vi'), '66,7%')
})
