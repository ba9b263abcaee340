// Proxies, receipts and result exports, as the laptop client reads them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import {
  readRoom,
  lastEndedPoll,
  endedPolls,
  ownProxy,
  proxiesTo,
  proxyBallots,
  mayHandOver,
  proxyCandidates,
  proxyList,
} from '../room.js'
import { normalizeReceipt, checkReceipt } from '../polls.js'
import { availableExports } from '../api.js'

function room({ allow = true, proxies = {}, state = 'open' } = {}) {
  const doc = new Y.Doc()
  const people = doc.getMap('people')
  const person = (id, name, role, extra = {}) => people.set(String(id), { id, name, role, stands_in_for: null, ...extra })
  person(1, 'Chủ tọa', 'chair')
  person(2, 'An', 'delegate')
  person(3, 'Bình', 'delegate')
  person(4, 'Cường', 'delegate')
  person(5, 'Dũng', 'delegate', { stands_in_for: 4 })
  person(6, 'Thư ký', 'secretary')
  for (const id of [1, 2, 3, 5, 6]) doc.getMap('attendance').set(String(id), { present: true, at: 1 })
  doc.getMap('settings').set('allow_proxy', allow)
  doc.getMap('session').set('state', state)
  for (const [member, entry] of Object.entries(proxies)) doc.getMap('proxies').set(member, entry)
  return readRoom(doc)
}

test('who may hand their vote over, and to whom', () => {
  const r = room()
  assert.deepEqual(mayHandOver(r, 2), { may: true, reason: '' })
  assert.equal(mayHandOver(room({ allow: false }), 2).reason, 'off')
  assert.equal(mayHandOver(r, 6).reason, 'notMember')
  assert.equal(mayHandOver(r, 5).reason, 'notMember', 'a deputy is not a member')
  assert.equal(mayHandOver(r, 4).reason, 'deputy', 'a member with a deputy')
  assert.equal(mayHandOver(room({ state: 'closed' }), 2).reason, 'closed')
  // Present members but oneself; not the secretary, not a deputy, not someone absent (4).
  assert.deepEqual(new Set(proxyCandidates(r, 2).map((p) => p.id)), new Set([1, 3]))
})

test('a proxy requested, approved, and what each side sees', () => {
  const requested = room({ proxies: { 2: { to: 3, to_name: 'Bình', status: 'requested', at: 10 } } })
  assert.equal(ownProxy(requested, 2).status, 'requested')
  assert.equal(mayHandOver(requested, 2).reason, 'given')
  assert.equal(mayHandOver(requested, 3).reason, 'holding', 'a holder does not hand on')
  assert.deepEqual(proxiesTo(requested, 3).map((p) => [p.member, p.status]), [[2, 'requested']])
  assert.deepEqual(proxyBallots(requested, 3), [], 'no ballot before the approval')
  assert.deepEqual(proxyList(requested, 'requested').map((p) => [p.member, p.name, p.to_name]), [[2, 'An', 'Bình']])
  assert.ok(!proxyCandidates(requested, 4).some((p) => p.id === 2), 'someone handing over receives nothing')

  const approved = room({ proxies: { 2: { to: 3, to_name: 'Bình', status: 'approved', at: 10 } } })
  assert.deepEqual(proxyBallots(approved, 3).map((p) => p.member), [2])
  assert.deepEqual(proxyBallots({ ...approved, settings: { allow_proxy: false } }, 3), [])

  const over = room({ proxies: { 2: { to: 3, status: 'withdrawn' }, 1: { to: 3, status: 'rejected' } } })
  assert.deepEqual(proxiesTo(over, 3), [])
  assert.equal(mayHandOver(over, 2).may, true, 'after a withdrawal one may ask again')
})

test('the newest poll that is over, closed or cancelled', () => {
  const r = { polls: [{ id: 1, status: 'closed' }, { id: 2, status: 'cancelled' }, { id: 3, status: 'open' }] }
  assert.equal(lastEndedPoll(r).id, 2)
  assert.deepEqual(endedPolls(r).map((p) => p.id), [2, 1])
})

test('receipts: typed loosely, checked against the published list', () => {
  assert.equal(normalizeReceipt(' abcde-fgh23 '), 'ABCDEFGH23')
  assert.equal(normalizeReceipt('ABCDE FGH2'), '')
  assert.equal(normalizeReceipt('ABCDEFGHI3'), '', 'no I in Crockford base32')
  const list = [{ receipt: 'ABCDEFGH23', choice: 0 }, { receipt: 'ZZZZZZZZZZ', choice: 1 }]
  const labels = ['Đồng ý', 'Không đồng ý']
  assert.deepEqual(checkReceipt(list, labels, 'abcdefgh23', 0), { state: 'ok', code: 'ABCDEFGH23', option: 'Đồng ý' })
  assert.deepEqual(checkReceipt(list, labels, 'abcdefgh23', 1), { state: 'differs', code: 'ABCDEFGH23', option: 'Đồng ý', mine: 'Không đồng ý' })
  assert.deepEqual(checkReceipt(list, labels, 'zzzzz-zzzzz'), { state: 'ok', code: 'ZZZZZZZZZZ', option: 'Không đồng ý' })
  assert.equal(checkReceipt(list, labels, '0000000000').state, 'missing')
  assert.equal(checkReceipt(list, labels, 'abc').state, 'invalid')
})

test('export links only for what answered', async () => {
  const asked = []
  const probe = async (url) => {
    asked.push(url)
    return url.endsWith('.csv')
  }
  assert.deepEqual(await availableExports(7, { fetchPoll: async () => ({ poll: { id: 7 } }), probe }), { csv: true, pdf: false })
  assert.deepEqual(asked, ['/api/polls/7/result.csv', '/api/polls/7/result.pdf'])
  const missing = async () => {
    throw Object.assign(new Error('no'), { status: 404 })
  }
  assert.deepEqual(await availableExports(7, { fetchPoll: missing, probe }), { csv: false, pdf: false })
  asked.length = 0
  assert.deepEqual(await availableExports(8, { fetchPoll: async () => ({ poll: { exports: ['pdf'] } }), probe: async (u) => asked.push(u) > 0 }), { csv: false, pdf: true })
  assert.deepEqual(asked, ['/api/polls/8/result.pdf'], 'a listed export is still asked for; an unlisted one is not')
})
