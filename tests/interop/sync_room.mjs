#!/usr/bin/env node
// A stock Yjs client (yjs + y-websocket's WebsocketProvider + ws), unmodified,
// driven by tests/test_interop.py. It prints one JSON object per line on
// stdout, each with an "event":
//
//   {"event": "synced", "room": {...}}            after the first sync
//   {"event": "cursor", "room": {...}}            --wait-cursor ITEM reached
//   {"event": "awareness", "states": [...]}       --wait-awareness-user ID seen
//   {"event": "wrote", "key": "..."}              --write sent its change
//   {"event": "closed", "code": N, ...}           the server closed the socket
//   {"event": "timeout", "waiting_for": "..."}    --timeout passed (exit 3)
//
// Usage:
//   node sync_room.mjs --url ws://127.0.0.1:PORT/ws --doc meeting/1/room --token T
//        [--wait-cursor ITEM] [--awareness JSON] [--wait-awareness-user ID]
//        [--write] [--expect-close] [--hold] [--timeout SECONDS]
//
// --hold keeps the socket open after the last milestone until stdin closes,
// so the Python side can look at what this client did (its awareness, say).
// --expect-close waits for the server to close the socket.
//
// A close by the server always ends the run: it is reported with the code,
// any y-protocols/auth permission-denied reason, and what the stock provider
// would have done next, and the provider is destroyed so that nothing
// reconnects behind the test's back. Exit 0: every milestone reached (or the
// expected close); 1: an unexpected close or error; 3: --timeout passed.

import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as authProtocol from 'y-protocols/auth'

const MESSAGE_AUTH = 2

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    doc: { type: 'string' },
    token: { type: 'string', default: '' },
    'wait-cursor': { type: 'string' },
    awareness: { type: 'string' },
    'wait-awareness-user': { type: 'string' },
    write: { type: 'boolean', default: false },
    'expect-close': { type: 'boolean', default: false },
    hold: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '10' }
  }
})
if (!opts.url || !opts.doc) {
  process.stderr.write('usage: sync_room.mjs --url WS_BASE --doc NAME --token TOKEN [...]\n')
  process.exit(64)
}

const emit = (event, data = {}) => {
  process.stdout.write(JSON.stringify({ event, ...data }) + '\n')
}

const doc = new Y.Doc()
const room = () => ({
  meeting: doc.getMap('meeting').toJSON(),
  agenda: doc.getArray('agenda').toJSON(),
  cursor: doc.getMap('cursor').toJSON(),
  presenting: doc.getMap('presenting').toJSON()
})

const params = { device: 'yjs-interop' }
if (opts.token) params.token = opts.token
const provider = new WebsocketProvider(opts.url, opts.doc, doc, {
  connect: false,
  params,
  WebSocketPolyfill: WebSocket,
  disableBc: true
})

// y-protocols/auth permission-denied arrives before the close; the stock
// handler only logs it, so keep the reason for the report as well.
const denied = []
provider.messageHandlers[MESSAGE_AUTH] = (_encoder, decoder, prov) => {
  authProtocol.readAuthMessage(decoder, prov.doc, (_ydoc, reason) => denied.push(reason))
}

let attempts = 0
provider.on('status', ({ status }) => {
  if (status === 'connecting') attempts++
})

let finished = false
const finish = (code) => {
  if (finished) return
  finished = true
  provider.destroy()
  doc.destroy()
  process.exit(code)
}

const waits = []
let waitingFor = 'sync'
const timer = setTimeout(() => {
  emit('timeout', { waiting_for: waitingFor, room: room(), attempts })
  finish(3)
}, Number(opts.timeout) * 1000)

provider.on('connection-close', (event) => {
  if (event === null) return // closed by us
  clearTimeout(timer)
  emit('closed', {
    code: event.code,
    reason: event.reason,
    denied,
    // What the stock provider would do on its own after this close.
    would_reconnect: provider.shouldReconnect(event, provider),
    attempts,
    room: room()
  })
  // Stop here, before y-websocket's backoff timer can open a new socket.
  finish(opts['expect-close'] ? 0 : 1)
})

const until = (what, predicate, subscribe) => new Promise((resolve) => {
  const check = () => {
    if (predicate()) {
      unsubscribe()
      resolve()
    }
  }
  const unsubscribe = subscribe(check)
  waitingFor = what
  check()
})

const whenSynced = () => until(
  'sync',
  () => provider.synced,
  (check) => {
    provider.on('sync', check)
    return () => provider.off('sync', check)
  }
)

const whenCursor = (item) => until(
  `cursor ${item}`,
  () => doc.getMap('cursor').get('item') === item,
  (check) => {
    const cursor = doc.getMap('cursor')
    cursor.observe(check)
    return () => cursor.unobserve(check)
  }
)

const awarenessStates = () => Array.from(provider.awareness.getStates().entries())
  .map(([clientId, state]) => ({ client_id: clientId, ...state }))

const whenAwarenessOf = (userId) => until(
  `awareness of user ${userId}`,
  () => awarenessStates().some((s) => s.client_id !== doc.clientID && s.user?.id === userId),
  (check) => {
    provider.awareness.on('change', check)
    return () => provider.awareness.off('change', check)
  }
)

const whenStdinEnds = () => new Promise((resolve) => {
  waitingFor = 'stdin to close'
  process.stdin.on('end', resolve)
  process.stdin.resume()
})

async function main () {
  if (opts.awareness) provider.awareness.setLocalState(JSON.parse(opts.awareness))
  provider.connect()
  await whenSynced()
  emit('synced', { room: room(), client_id: doc.clientID })
  if (opts['wait-cursor'] !== undefined) {
    await whenCursor(Number(opts['wait-cursor']))
    emit('cursor', { room: room() })
  }
  if (opts['wait-awareness-user'] !== undefined) {
    await whenAwarenessOf(Number(opts['wait-awareness-user']))
    emit('awareness', { states: awarenessStates() })
  }
  if (opts.write) {
    // An ordinary local edit: y-websocket sends it as a sync update.
    const key = `yjs-${doc.clientID}`
    doc.getMap('probe').set(key, { by: 'yjs', at: Date.now() })
    emit('wrote', { key })
  }
  if (opts['expect-close']) {
    waitingFor = 'the server to close the socket'
    await new Promise(() => {}) // the close handler ends the run
  }
  if (opts.hold) await whenStdinEnds()
  clearTimeout(timer)
  finish(0)
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`)
  finish(1)
})
