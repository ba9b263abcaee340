// Small pure pieces of the live screens: timers, polls, snippets, the room's
// session roots, dates typed by a person.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { countdown, formatSeconds } from '../timer.js'
import { optionLabels, countFor, results, outcome, formatShare } from '../polls.js'
import { snippetParts } from '../snippet.js'
import { readRoom, ownRequest, openPoll, lastClosedPoll, sessionState, mayPresent, mayPresentPage } from '../room.js'
import { fromFields, dateField, timeField } from '../time.js'
import { setLang } from '../i18n/index.js'

test('countdowns from a start and a limit, with warning and overrun', () => {
  const start = Date.UTC(2026, 10, 30, 1, 0, 0)
  assert.deepEqual(countdown(start, 300, start + 10_000), { elapsed: 10, remaining: 290, overrun: false, warn: false })
  assert.equal(countdown(start, 300, start + 250_000).warn, true)
  assert.deepEqual(countdown(start, 300, start + 305_000), { elapsed: 305, remaining: -5, overrun: true, warn: false })
  assert.equal(formatSeconds(75), '01:15')
  assert.equal(formatSeconds(-5), '-00:05')
  assert.equal(formatSeconds(3725), '1:02:05')
})

test('polls: labels, counts in any shape, shares, verdict', () => {
  const poll = { options: ['Đồng ý', 'Không đồng ý', 'Không biểu quyết'], status: 'closed', counts: [3, 1, 0], passed: true }
  assert.deepEqual(optionLabels(poll), ['Đồng ý', 'Không đồng ý', 'Không biểu quyết'])
  assert.equal(countFor({ ...poll, counts: { 1: 4 } }, 1), 4)
  assert.equal(countFor({ ...poll, counts: { 'Đồng ý': 2 } }, 0), 2)
  // The usual answers are stored in Vietnamese and shown in the reader's language.
  setLang('en', { persist: false })
  try {
    assert.deepEqual(optionLabels(poll), ['Agree', 'Disagree', 'Abstain'])
    assert.deepEqual(optionLabels({ options: ['Phương án A', 'Đồng ý'] }), ['Phương án A', 'Agree'])
    assert.equal(countFor({ ...poll, counts: { 'Đồng ý': 2 } }, 0), 2)
  } finally {
    setLang('vi', { persist: false })
  }
  assert.equal(countFor({ options: ['a', 'b'] }, 0), null)
  assert.deepEqual(results(poll).map((r) => r.share), [0.75, 0.25, 0])
  assert.equal(outcome(poll), 'passed')
  assert.equal(outcome({ ...poll, passed: false }), 'rejected')
  assert.equal(outcome({ ...poll, status: 'open' }), '')
  assert.equal(formatShare(2 / 3), '66,7%')
  assert.equal(formatShare(2 / 3, 'en'), '66.7%')
})

test('search snippets keep only text and marks', () => {
  assert.deepEqual(snippetParts('thu <mark>ngân sách</mark> &amp; <b>x</b>&lt;script&gt;'), [
    { text: 'thu ', mark: false },
    { text: 'ngân sách', mark: true },
    { text: ' & x<script>', mark: false },
  ])
})

test('the room during a session: queue order, own place, polls, who presents', () => {
  const doc = new Y.Doc()
  doc.getMap('session').set('state', 'open')
  const speakers = doc.getMap('speakers')
  speakers.set('7', { user: 5, name: 'B', kind: 'speech', rank: 2 })
  speakers.set('9', { user: 6, name: 'C', kind: 'point_of_order', rank: 0.5 })
  speakers.set('8', { user: 4, name: 'A', kind: 'speech', rank: 1 })
  const polls = doc.getMap('polls')
  const first = new Y.Map()
  polls.set('1', first)
  first.set('status', 'closed')
  first.set('question', 'Một')
  polls.set('2', { id: 2, status: 'open', question: 'Hai' })
  doc.getMap('presenting').set('presenter', null)
  const room = readRoom(doc)
  assert.equal(sessionState(room), 'open')
  assert.deepEqual(room.queue.map((e) => e.name), ['C', 'A', 'B'])
  assert.deepEqual(ownRequest(room, 5.0), { user: 5, name: 'B', kind: 'speech', rank: 2, id: 7, place: 3 })
  assert.equal(ownRequest(room, 99), null)
  assert.equal(openPoll(room).question, 'Hai')
  assert.equal(lastClosedPoll(room).question, 'Một')
  assert.equal(room.floor, null)
  assert.ok(mayPresent(room, { id: 1 }, 'chair'))
  assert.ok(!mayPresent(room, { id: 4 }, 'delegate'))
  doc.getMap('presenting').set('presenter', 4)
  const named = readRoom(doc)
  assert.ok(mayPresent(named, { id: 4 }, 'delegate'))
  assert.ok(!mayPresent(named, { id: 1 }, 'chair'), 'ink: only the named presenter')
  assert.ok(mayPresentPage(named, { id: 1 }, 'chair'), 'pages: the chair still may')
})

test('dates and times typed the Vietnamese way', () => {
  assert.equal(fromFields('15/03/2027', '8:00'), '2027-03-15T08:00:00+07:00')
  assert.equal(fromFields('5/3/2027', '14h30'), '2027-03-05T14:30:00+07:00')
  assert.equal(fromFields('31/02/2027', '08:00'), null)
  assert.equal(fromFields('2027-03-15', '08:00'), null)
  assert.equal(fromFields('15/03/2027', '25:00'), null)
  assert.equal(dateField('2027-03-15T01:00:00Z'), '15/03/2027')
  assert.equal(timeField('2027-03-15T01:00:00Z'), '08:00')
})
