// The task screens (clients/web/src/screens/tasks*.js) build keys from the
// server's values: every status, step and history kind the server answers
// (collab_server/domain/tasks.py) has its words in both languages.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import vi from '../i18n/vi.js'
import en from '../i18n/en.js'

const families = {
  'tasks.status': ['assigned', 'in_progress', 'extension_asked', 'done', 'overdue', 'done_late'],
  'tasks.event': ['create', 'progress', 'report', 'attach', 'ask_extension', 'grant', 'refuse', 'reopen'],
  'tasks.done': ['progress', 'report', 'attach', 'ask_extension', 'grant', 'refuse', 'reopen'],
  'tasks.extension': ['granted', 'refused'],
}

test('every task status, step and history kind has its words', () => {
  const missing = []
  for (const [name, catalogue] of [['vi', vi], ['en', en]]) {
    for (const [prefix, values] of Object.entries(families)) {
      for (const v of values) if (!(`${prefix}.${v}` in catalogue)) missing.push(`${name}: ${prefix}.${v}`)
    }
  }
  assert.deepEqual(missing, [])
})

test('every task key in Vietnamese is in English too', () => {
  const missing = Object.keys(vi).filter((k) => k.startsWith('tasks.') && !(k in en))
  assert.deepEqual(missing, [])
})
