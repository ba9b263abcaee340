import { test } from 'node:test'
import assert from 'node:assert/strict'
import { deadlineLevel, hitsByMeeting, attachableDocuments, isPast } from '../records.js'

test('the conclusion deadline warns when few working days are left', () => {
  assert.equal(deadlineLevel({ status: 'pending', days_left: 5, overdue: false }), 'ok')
  assert.equal(deadlineLevel({ status: 'pending', days_left: 3, overdue: false }), 'ok')
  assert.equal(deadlineLevel({ status: 'pending', days_left: 2, overdue: false }), 'soon')
  assert.equal(deadlineLevel({ status: 'pending', days_left: 1, overdue: false }), 'soon')
  assert.equal(deadlineLevel({ status: 'pending', days_left: 0, overdue: false }), 'today')
  assert.equal(deadlineLevel({ status: 'pending', days_left: -2, overdue: true }), 'overdue')
  assert.equal(deadlineLevel({ status: 'issued', days_left: -2, overdue: false }), 'issued')
  assert.equal(deadlineLevel(null), 'ok')
})

test('past meetings are the ended and the archived ones', () => {
  assert.deepEqual(['draft', 'invited', 'in_session', 'ended', 'archived'].map((status) => isPast({ status })), [false, false, false, true, true])
})

const results = [
  { kind: 'page', meeting_id: 7, document_id: 70, page: 2, title: 'Dự toán', snippet: 'a <mark>b</mark>' },
  { kind: 'document', meeting_id: 7, document_id: 70, page: null, title: 'Dự toán', snippet: '' },
  { kind: 'meeting', meeting_id: 9, document_id: null, title: 'Họp giao ban' },
  { kind: 'page', meeting_id: 7, document_id: 71, page: 1, title: 'Tờ trình' },
  { kind: 'minutes', meeting_id: 7, document_id: null, title: 'Họp tháng 12' },
  { kind: 'document', meeting_id: 3, document_id: 30, title: 'Ở cuộc họp này' },
  { kind: 'page', meeting_id: 7, document_id: 72, page: 5, title: 'Báo cáo' },
]

test('search hits are grouped by meeting, best first', () => {
  const groups = hitsByMeeting(results)
  assert.deepEqual(groups.map((g) => g.meetingId), [7, 9, 3])
  assert.equal(groups[0].hits.length, 3)
  assert.equal(hitsByMeeting(results, { perMeeting: 10 })[0].hits.length, 5)
})

test('documents to attach: once each, from other meetings only', () => {
  const docs = attachableDocuments(results, '3')
  assert.deepEqual(docs.map((d) => d.documentId), [70, 71, 72])
  assert.equal(docs[0].page, 2)
  assert.deepEqual(attachableDocuments(results, 3, [71]).map((d) => d.documentId), [70, 72])
})
