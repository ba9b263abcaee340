// Every key the clients ask for by name is in the catalogue: a missing key
// would show the key itself to a delegate.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import vi from '../i18n/vi.js'

const clients = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

async function sources(dir) {
  const out = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'test') continue
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await sources(full)))
    else if (entry.name.endsWith('.js')) out.push(full)
  }
  return out
}

test('every literal catalogue key exists', async () => {
  const missing = []
  for (const dir of ['shared', 'web/src', 'display/src']) {
    for (const file of await sources(path.join(clients, dir))) {
      const text = await readFile(file, 'utf8')
      for (const m of text.matchAll(/\bt\('([\w.]+)'/g)) {
        if (!(m[1] in vi)) missing.push(`${path.relative(clients, file)}: ${m[1]}`)
      }
    }
  }
  assert.deepEqual(missing, [])
})

test('keys built from values exist for every value', () => {
  const families = {
    'speak.kind': ['speech', 'question', 'point_of_order'],
    'annotate.tool': ['read', 'pen', 'highlighter', 'note', 'eraser'],
    'poll.kind': ['named', 'secret'],
    'poll.rule': ['present_majority', 'members_majority', 'two_thirds_members'],
    poll: ['passed', 'rejected'],
    'message.kind': ['document_request', 'technical', 'other'],
    'message.to': ['secretary', 'chair'],
    'console.session': ['open', 'suspend', 'resume', 'close'],
    session: ['not_started', 'open', 'suspended', 'closed'],
    kind: ['regular', 'thematic', 'extraordinary', 'briefing', 'review', 'consultation', 'other'],
    confidentiality: ['public', 'internal', 'confidential'],
    quorumRule: ['half', 'two_thirds', 'none'],
    response: ['pending', 'attend', 'absent', 'deputy'],
    'prepare.to': ['invited', 'draft', 'in_session', 'ended', 'archived'],
    'prepare.moved': ['invited', 'draft', 'in_session', 'ended', 'archived'],
    status: ['draft', 'invited', 'in_session', 'ended', 'archived'],
    role: ['chair', 'secretary', 'delegate', 'guest', 'display'],
    'annotate.color.pen': ['0', '1', '2', '3'],
    'annotate.color.highlighter': ['0', '1', '2'],
    proxy: ['requested', 'approved', 'rejected', 'withdrawn'],
    'results.export': ['csv', 'pdf'],
    hit: ['meeting', 'agenda_item', 'document', 'page', 'minutes', 'poll', 'conclusion'],
  }
  const missing = []
  for (const [prefix, values] of Object.entries(families)) {
    for (const v of values) if (!(`${prefix}.${v}` in vi)) missing.push(`${prefix}.${v}`)
  }
  assert.deepEqual(missing, [])
})
