// The live connection against a scripted fake socket: handshake, resync,
// intents, close codes and the dead-socket watchdog.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'
import { LiveConnection, IntentError, Status, websocketUrl } from '../live.js'
import { MessageType, SyncType } from '../messages.js'

class FakeSocket {
  static all = []
  constructor(url) {
    this.url = url
    this.readyState = 0
    this.sent = []
    this.closedWith = null
    FakeSocket.all.push(this)
  }
  send(data) {
    this.sent.push(new Uint8Array(data))
  }
  close(code = 1000) {
    this.closedWith = code
    this.readyState = 3
  }
  // -- the server's side
  open() {
    this.readyState = 1
    this.onopen?.({})
  }
  receive(bytes) {
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) })
  }
  drop(code, reason = '') {
    this.readyState = 3
    this.onclose?.({ code, reason })
  }
  /** Sent frames decoded as [type, decoder]. */
  frames() {
    return this.sent.map((bytes) => {
      const decoder = decoding.createDecoder(bytes)
      return [decoding.readVarUint(decoder), decoder]
    })
  }
}

const last = () => FakeSocket.all.at(-1)
const fast = { base: 10, cap: 40, floor: 1, rateLimited: 200 }
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(check, ms = 2000) {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(2)
  }
}

function frame(type, write) {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, type)
  write(encoder)
  return encoding.toUint8Array(encoder)
}

const serverStep1 = (doc) => frame(MessageType.SYNC, (e) => syncProtocol.writeSyncStep1(e, doc))
const serverStep2 = (doc, sv) => frame(MessageType.SYNC, (e) => syncProtocol.writeSyncStep2(e, doc, sv))
const intentResult = (reply) =>
  frame(MessageType.INTENT_RESULT, (e) => encoding.writeVarString(e, JSON.stringify(reply)))

function connect(options = {}) {
  FakeSocket.all = []
  const conn = new LiveConnection('ws://test/ws/meeting/1/room', {
    WebSocket: FakeSocket,
    backoff: fast,
    ...options,
  })
  const statuses = []
  conn.on('status', (s) => statuses.push(s))
  return { conn, statuses }
}

function roomDoc() {
  const doc = new Y.Doc()
  doc.getMap('meeting').set('title', 'Kỳ họp thứ Mười')
  doc.getArray('agenda').push([{ id: 1, position: 1, title: 'Khai mạc' }])
  doc.getMap('cursor').set('item', 1)
  return doc
}

/** Plays the server's half of the handshake on the newest socket. */
function handshake(server) {
  const ws = last()
  ws.open()
  ws.receive(serverStep1(server))
  const [, decoder] = ws.frames().find(([type]) => type === MessageType.SYNC)
  assert.equal(decoding.readVarUint(decoder), SyncType.STEP1)
  ws.receive(serverStep2(server, decoding.readVarUint8Array(decoder)))
  return ws
}

test('websocketUrl follows the page scheme', () => {
  assert.equal(websocketUrl('meeting/1/room', { protocol: 'https:', host: 'h:1' }), 'wss://h:1/ws/meeting/1/room')
  assert.equal(websocketUrl('meeting/1/room', { protocol: 'http:', host: 'h' }), 'ws://h/ws/meeting/1/room')
})

test('handshake: step 1 on open, empty step 2 when read-only, live on step 2', () => {
  const { conn, statuses } = connect({ readOnly: true, awareness: { client: 'web' } })
  const server = roomDoc()
  let synced = 0
  conn.on('synced', () => synced++)
  const ws = handshake(server)

  const frames = ws.frames()
  assert.deepEqual(frames.map(([type]) => type), [MessageType.SYNC, MessageType.AWARENESS, MessageType.SYNC])
  const [, reply] = frames[2]
  assert.equal(decoding.readVarUint(reply), SyncType.STEP2)
  assert.deepEqual([...decoding.readVarUint8Array(reply)], [0, 0])

  assert.equal(conn.doc.getMap('meeting').get('title'), 'Kỳ họp thứ Mười')
  assert.equal(conn.status, Status.LIVE)
  assert.equal(synced, 1)
  assert.deepEqual(statuses.map((s) => s.status), [Status.LIVE])
  conn.destroy()
})

test('the awareness a client sends is its own state only', () => {
  const { conn } = connect({ awareness: { client: 'web' } })
  const ws = handshake(roomDoc())
  const other = new awarenessProtocol.Awareness(new Y.Doc())
  other.setLocalState({ user: { name: 'Khác' } })
  const before = ws.sent.length
  ws.receive(
    frame(MessageType.AWARENESS, (e) =>
      encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(other, [other.clientID])),
    ),
  )
  assert.equal(conn.awareness.getStates().size, 2)
  assert.equal(ws.sent.length, before, 'nothing relayed')
  ws.drop(1001)
  assert.equal(conn.awareness.getStates().size, 1, 'others removed on close')
  other.destroy()
  conn.destroy()
})

test('a writable replica sends its own changes, not the server-applied ones', () => {
  const { conn } = connect()
  const server = roomDoc()
  const ws = handshake(server)
  const before = ws.sent.length
  server.getMap('cursor').set('item', 2)
  ws.receive(frame(MessageType.SYNC, (e) => syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(server))))
  assert.equal(ws.sent.length, before, 'no echo')
  conn.doc.getMap('notes').set('a', 'ghi chú')
  assert.equal(ws.sent.length, before + 1)
  const [[type, decoder]] = ws.frames().slice(-1)
  assert.equal(type, MessageType.SYNC)
  assert.equal(decoding.readVarUint(decoder), SyncType.UPDATE)
  conn.destroy()
})

test('after a drop it reconnects and asks only for what it missed', async () => {
  const { conn, statuses } = connect({ readOnly: true })
  const server = roomDoc()
  handshake(server)
  last().drop(1013)
  assert.equal(conn.status, Status.RECONNECTING)
  await until(() => FakeSocket.all.length === 2)
  const ws = last()
  ws.open()
  const [[type, decoder]] = ws.frames()
  assert.equal(type, MessageType.SYNC)
  assert.equal(decoding.readVarUint(decoder), SyncType.STEP1)
  assert.deepEqual(decoding.readVarUint8Array(decoder), Y.encodeStateVector(conn.doc))
  assert.ok(Y.encodeStateVector(conn.doc).length > 1, 'a non-empty state vector')
  server.getMap('cursor').set('item', 7)
  const sv = Y.encodeStateVector(conn.doc)
  ws.receive(serverStep2(server, sv))
  assert.equal(conn.doc.getMap('cursor').get('item'), 7)
  assert.deepEqual(
    statuses.map((s) => s.status),
    [Status.LIVE, Status.RECONNECTING, Status.LIVE],
  )
  conn.destroy()
})

test('44xx stops for good and keeps the reason; 4429 waits longer', async () => {
  let { conn } = connect()
  last().open()
  last().receive(frame(MessageType.AUTH, (e) => {
    encoding.writeVarUint(e, 0)
    encoding.writeVarString(e, 'read-only document')
  }))
  last().drop(4403)
  assert.equal(conn.status, Status.STOPPED)
  assert.deepEqual(conn.detail, { code: 4403, reason: 'read-only document' })
  await sleep(100)
  assert.equal(FakeSocket.all.length, 1, 'no reconnect')
  conn.reconnect()
  assert.equal(FakeSocket.all.length, 2, 'reconnect() on demand')
  conn.destroy()

  ;({ conn } = connect())
  last().drop(4429)
  assert.equal(conn.status, Status.RECONNECTING)
  assert.ok(conn.detail.retryAt - Date.now() >= 150, 'waits at least the rate-limit delay')
  await sleep(60)
  assert.equal(FakeSocket.all.length, 1)
  conn.destroy()
})

test('intents: matched by id, errors carry the code, timeouts and drops reject', async () => {
  const { conn } = connect({ readOnly: true, intentTimeout: 50 })
  await assert.rejects(conn.sendIntent('agenda.goto', { step: 1 }), { code: 'offline' })
  const ws = handshake(roomDoc())

  const sentIntent = () => {
    const [[type, decoder]] = ws.frames().slice(-1)
    assert.equal(type, MessageType.INTENT)
    return JSON.parse(decoding.readVarString(decoder))
  }

  const first = conn.sendIntent('agenda.goto', { step: 1 })
  const a = sentIntent()
  const second = conn.sendIntent('present.page', { document: 3, page: 2 })
  const b = sentIntent()
  assert.notEqual(a.id, b.id)
  assert.deepEqual({ type: b.type, args: b.args }, { type: 'present.page', args: { document: 3, page: 2 } })
  ws.receive(intentResult({ id: b.id, ok: false, error: { code: 'not_found', message: 'Không có trang', message_en: 'No page' } }))
  ws.receive(intentResult({ id: a.id, ok: true, result: { item: 2 } }))
  assert.deepEqual(await first, { item: 2 })
  await assert.rejects(second, (err) => err instanceof IntentError && err.code === 'not_found' && err.serverMessage === 'Không có trang')

  await assert.rejects(conn.sendIntent('agenda.goto', { step: 1 }), { code: 'timeout' })
  const pending = conn.sendIntent('agenda.goto', { step: 1 })
  ws.drop(1011)
  await assert.rejects(pending, { code: 'disconnected' })
  conn.destroy()
})

test('a silent socket is pinged, then abandoned and replaced', async () => {
  const { conn, statuses } = connect({ idleMs: 40, probeMs: 40 })
  const ws = handshake(roomDoc())
  await until(() => ws.frames().some(([type]) => type === MessageType.PING))
  await until(() => FakeSocket.all.length === 2)
  assert.equal(ws.closedWith, 1000)
  assert.ok(statuses.some((s) => s.status === Status.RECONNECTING))
  conn.destroy()
})

test('an answered ping keeps the socket', async () => {
  const { conn } = connect({ idleMs: 40, probeMs: 60 })
  const ws = handshake(roomDoc())
  for (let n = 1; n <= 3; n++) {
    await until(() => ws.frames().filter(([type]) => type === MessageType.PING).length === n)
    ws.receive(frame(MessageType.PONG, () => {}))
  }
  assert.equal(FakeSocket.all.length, 1)
  assert.equal(conn.status, Status.LIVE)
  conn.destroy()
})

test('a socket that never opens is given up and tried again', async () => {
  const { conn, statuses } = connect({ connectMs: 30 })
  const ws = last()
  await until(() => FakeSocket.all.length === 2)
  assert.notEqual(ws.closedWith, null)
  assert.ok(statuses.some((s) => s.status === Status.RECONNECTING))
  handshake(roomDoc())
  assert.equal(conn.status, Status.LIVE)
  conn.destroy()
})

test('destroy says goodbye in awareness and closes with 1000', () => {
  const { conn, statuses } = connect({ awareness: { client: 'display' } })
  const ws = handshake(roomDoc())
  const before = ws.sent.length
  conn.destroy()
  assert.equal(ws.sent.length, before + 1)
  assert.equal(ws.frames().at(-1)[0], MessageType.AWARENESS)
  assert.equal(ws.closedWith, 1000)
  assert.equal(statuses.at(-1).status, Status.CLOSED)
})

test('1013 and 1012 bring the laptop back soon, however long it has been away', async () => {
  let r = 0 // the 1006 retries come at once; then every delay is the longest it can be
  const { conn } = connect({
    backoff: { base: 100, cap: 100000, floor: 1, soon: 20 },
    random: () => r,
  })
  for (let i = 1; i <= 5; i += 1) {
    last().drop(1006)
    await until(() => FakeSocket.all.length === i + 1)
  }
  r = 1
  last().drop(1013)
  assert.equal(conn.status, Status.RECONNECTING)
  assert.ok(conn.detail.retryAt - Date.now() <= 20, 'the wait did not grow with the 1006s')
  await until(() => FakeSocket.all.length === 7)
  last().drop(1012)
  assert.ok(conn.detail.retryAt - Date.now() <= 20)
  await until(() => FakeSocket.all.length === 8)
  last().drop(1006)
  assert.ok(conn.detail.retryAt - Date.now() > 1000, 'the growing wait is kept for the rest')
  conn.destroy()
})
