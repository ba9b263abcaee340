// Many meetings at once, from a neutral client: every laptop of every meeting
// a stock Y.Doc (yjs, y-protocols) on its own websocket (ws), all in this one
// Node process, apart from the servers it loads.
//
//   node meetings.mjs config.json
//
// config: {meetings: [{id, chair, clients: [url, ...]}], rate, duration,
//          join_timeout, settle, raw}
// With `raw`, the result carries every sample too, for a caller that runs
// several generators (one Node process is one core) and merges them.
// `chair` is the index in `clients` of the chair's socket, which sends
// `agenda.goto` (this server's intent frame: type 100, the JSON as a
// varString) at `rate` Hz for `duration` seconds, the meetings' chairs spread
// evenly over one period. Every socket opens at the same instant.
//
// Measured: time from that instant until each socket has its sync step 2
// (synced); then, for each intent and each replica of its meeting (the
// chair's included), the time from sending to the new cursor being applied
// on that replica. Awareness frames are counted, not decoded (a laptop's
// presence list is not what is measured here, and decoding 9,100 of them
// would make the generator the bottleneck).
// stdout: "phase <name> <unix ms>" lines (the caller samples the servers
// there), then one line "result <json>".

import fs from 'node:fs'
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import * as Y from 'yjs'
import * as syncProtocol from 'y-protocols/sync'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

const SYNC = 0
const AWARENESS = 1
const INTENT = 100
const INTENT_RESULT = 101
const CONNECT_BATCH = 100

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const {
  meetings, rate = 1, duration = 30, join_timeout: joinTimeout = 60, settle = 2
} = config

const now = () => performance.now()
const phase = (name) => process.stdout.write(`phase ${name} ${Date.now()}\n`)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function percentile (sorted, p) {
  if (!sorted.length) return null
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return Math.round(sorted[rank - 1] * 100) / 100
}

function summary (samples) {
  const s = Float64Array.from(samples).sort()
  return { n: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99),
    max: s.length ? Math.round(s[s.length - 1] * 100) / 100 : null }
}

const closes = {}
const errors = {}
const note = (table, key) => { table[key] = (table[key] || 0) + 1 }
const perReplica = [] // ms, one per (intent, replica)
const replies = [] // ms, intent -> the chair's reply
let refused = 0
let awarenessFrames = 0

class Laptop {
  constructor (meeting, url) {
    this.meeting = meeting
    this.url = url
    this.doc = new Y.Doc()
    this.cursor = this.doc.getMap('cursor')
    this.item = null
    this.startedAt = null
    this.openedAt = null
    this.syncedAt = null
    this.step2Bytes = 0
    this.ws = null
    this.cursor.observe(() => {
      const item = this.cursor.get('item')
      if (item === this.item) return
      this.item = item
      const sent = this.meeting.sent.get(item)
      if (sent !== undefined) perReplica.push(now() - sent)
    })
  }

  connect () {
    this.startedAt = now()
    const ws = new WebSocket(this.url, { perMessageDeflate: false })
    ws.binaryType = 'arraybuffer'
    this.ws = ws
    ws.on('open', () => {
      this.openedAt = now()
      // What y-websocket sends on open: sync step 1 (its awareness state too,
      // but an empty one changes nothing the server passes on).
      const e = encoding.createEncoder()
      encoding.writeVarUint(e, SYNC)
      syncProtocol.writeSyncStep1(e, this.doc)
      ws.send(encoding.toUint8Array(e))
    })
    ws.on('message', (data) => this.handle(new Uint8Array(data)))
    ws.on('close', (code) => { note(closes, code) })
    ws.on('error', (err) => { note(errors, `${err.code || err.message}`.slice(0, 120)) })
  }

  handle (frame) {
    const d = decoding.createDecoder(frame)
    const type = decoding.readVarUint(d)
    if (type === SYNC) {
      const e = encoding.createEncoder()
      encoding.writeVarUint(e, SYNC)
      const sub = syncProtocol.readSyncMessage(d, e, this.doc, this)
      if (encoding.length(e) > 1) this.ws.send(encoding.toUint8Array(e))
      if (sub === syncProtocol.messageYjsSyncStep2 && this.syncedAt === null) {
        this.syncedAt = now()
        this.step2Bytes = frame.length
      }
    } else if (type === AWARENESS) {
      awarenessFrames++
    } else if (type === INTENT_RESULT) {
      const reply = JSON.parse(decoding.readVarString(d))
      const sent = this.meeting.sentById.get(reply.id)
      if (sent !== undefined) replies.push(now() - sent)
      if (!reply.ok) { refused++; note(errors, `intent ${reply.error && reply.error.code}`) }
    }
  }

  intent (id, type, args) {
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, INTENT)
    encoding.writeVarString(e, JSON.stringify({ id, type, args }))
    this.ws.send(encoding.toUint8Array(e))
  }
}

async function main () {
  const all = []
  for (const m of meetings) {
    m.sent = new Map() // cursor item -> when the intent moving there was sent
    m.sentById = new Map()
    m.laptops = m.clients.map((url) => new Laptop(m, url))
    all.push(...m.laptops)
  }
  phase('join')
  const joinStart = now()
  // One connect() is a loopback TCP handshake done inside the call (0.3 to
  // 0.5 ms here): 9,100 in one go would hold this loop for seconds before the
  // first upgrade is even written. In batches, the loop writes and reads
  // between them, as 9,100 separate laptops would.
  for (let i = 0; i < all.length; i += CONNECT_BATCH) {
    for (const c of all.slice(i, i + CONNECT_BATCH)) c.connect()
    await new Promise((resolve) => setImmediate(resolve))
  }
  const connectLoop = now() - joinStart
  const deadline = joinStart + joinTimeout * 1000
  while (all.some((c) => c.syncedAt === null) && now() < deadline) await sleep(10)
  phase('synced')
  const synced = all.filter((c) => c.syncedAt !== null)
  const opened = all.filter((c) => c.openedAt !== null)
  const join = {
    clients: all.length,
    connect_loop_ms: Math.round(connectLoop),
    opened: opened.length,
    synced: synced.length,
    open_ms: summary(opened.map((c) => c.openedAt - joinStart)),
    synced_ms: summary(synced.map((c) => c.syncedAt - joinStart)),
    open_to_synced_ms: summary(synced.map((c) => c.syncedAt - c.openedAt)),
    step2_bytes: summary(synced.map((c) => c.step2Bytes)),
    all_synced_ms: synced.length === all.length
      ? Math.round(Math.max(...synced.map((c) => c.syncedAt - joinStart)))
      : null
  }
  await sleep(settle * 1000)

  // Every chair walks its agenda (never "moving" to where the cursor is).
  phase('cursor-start')
  const period = 1000 / rate
  const count = Math.max(1, Math.floor(duration * rate))
  let sent = 0
  let expected = 0
  const runs = meetings.map((m, n) => (async () => {
    const chair = m.laptops[m.chair]
    if (chair.syncedAt === null) return
    const items = chair.doc.getArray('agenda').toJSON().map((i) => i.id)
    const cycle = items.filter((i) => i !== chair.item).concat(items.includes(chair.item) ? [chair.item] : [])
    const live = m.laptops.filter((c) => c.syncedAt !== null).length
    await sleep((n / meetings.length) * period)
    const begin = now()
    for (let k = 0; k < count; k++) {
      const wait = begin + k * period - now()
      if (wait > 0) await sleep(wait)
      const target = cycle[k % cycle.length]
      const t = now()
      m.sent.set(target, t)
      m.sentById.set(k + 1, t)
      chair.intent(k + 1, 'agenda.goto', { item: target })
      sent++
      expected += live
    }
  })())
  await Promise.all(runs)
  await sleep(3000)
  phase('cursor-end')
  const result = {
    join,
    cursor: {
      meetings: meetings.length,
      rate_hz_per_meeting: rate,
      intents: sent,
      expected_samples: expected,
      per_replica_ms: summary(perReplica),
      intent_reply_ms: summary(replies),
      missed: expected - perReplica.length,
      refused
    },
    awareness_frames: awarenessFrames,
    closes,
    errors,
    generator_cpu_s: (() => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 })(),
    generator_rss_mb: Math.round(process.memoryUsage().rss / 1048576)
  }
  if (config.raw) {
    // For a caller that merges several generators: every sample, in ms, and
    // the instants on the wall clock (this machine's: the generators share it).
    const wall = (t) => performance.timeOrigin + t
    result.raw = {
      join_start: wall(joinStart),
      opened: opened.map((c) => wall(c.openedAt)),
      synced: synced.map((c) => wall(c.syncedAt)),
      step2_bytes: synced.map((c) => c.step2Bytes),
      per_replica: perReplica,
      replies
    }
  }
  for (const c of all) c.ws.terminate()
  // A pipe takes a write of megabytes (the raw samples) in pieces: leave
  // once all of it is out, not before.
  process.stdout.write(`result ${JSON.stringify(result)}\n`, () => process.exit(0))
}

const guard = setTimeout(() => {
  process.stderr.write('meetings.mjs: gave up after its time limit\n')
  process.exit(2)
}, (joinTimeout + settle + duration + 60) * 1000)
guard.unref()
main().catch((err) => { console.error(err); process.exit(1) })
