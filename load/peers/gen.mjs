// A neutral Yjs load generator: N clients per room, W writers at R Hz, optional
// presence from every client at 1 Hz, latency measured from writer to every
// reader inside this one process (each write carries its own timestamp).
//
// It uses only yjs, y-protocols, lib0 and ws, and speaks two dialects of the
// same protocol: "y-websocket" (one document per socket, as y-websocket,
// pycrdt-websocket and Phòng họp không giấy speak it) and "hocuspocus" (every
// message starts with the document name, and an auth message comes first).
//
//   node gen.mjs config.json
//
// config: {dialect, rooms: [{doc, clients: [{url, writer}]}], rate, duration,
//          warmup, drain, presence, join_timeout, join_retry, token}
// A client not synced join_retry seconds after connecting closes its socket and
// connects again, as a client with a resync timer would; join counts how often.
// stdout: "phase <name>" lines while it runs (the caller samples server CPU
// there), then one line "result <json>".

import fs from 'node:fs'
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import * as Y from 'yjs'
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

const SYNC = 0
const AWARENESS = 1
const AUTH = 2
const SYNC_REPLY = 4 // hocuspocus: a sync message that asks for no step 1 back

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const {
  dialect = 'y-websocket', rooms, rate = 2, duration = 25, warmup = 2, drain = 3,
  presence = false, join_timeout: joinTimeout = 60, join_retry: joinRetry = 5, token = 'bench'
} = config
const hocus = dialect === 'hocuspocus'
// Keys and entries of this run, apart from what earlier runs left in a document.
const RUN = Math.random().toString(36).slice(2, 8)

const now = () => performance.now()
const phase = (name) => process.stdout.write(`phase ${name} ${Date.now()}\n`)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// -- measurement -------------------------------------------------------------------

const updateLatency = [] // ms, one sample per (write, reader)
let unsampled = 0 // writes that reached a reader merged with more than 16 later ones
const presenceLatency = []
let window = { from: Infinity, to: Infinity } // writes stamped inside count
let presenceSent = 0
let presenceExpected = 0
let presenceDelivered = 0
const closes = {} // close code -> count
const errors = {}
const note = (table, key) => { table[key] = (table[key] || 0) + 1 }

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

// How late this process's timers fire: the generator's own share of the latencies.
class LoopLag {
  constructor (period = 5) { this.period = period; this.samples = []; this.timer = null }
  enable () {
    let last = now()
    const tick = () => {
      const t = now()
      this.samples.push(Math.max(0, t - last - this.period))
      last = t
      this.timer = setTimeout(tick, this.period)
    }
    this.timer = setTimeout(tick, this.period)
  }
  disable () { clearTimeout(this.timer) }
}

// -- one client ------------------------------------------------------------------------

class Client {
  constructor (room, spec, index) {
    this.room = room
    this.url = spec.url
    this.writer = Boolean(spec.writer)
    this.index = index
    this.doc = new Y.Doc()
    this.log = this.doc.getArray('bench-log')
    this.last = this.doc.getMap('bench-last')
    this.awareness = new awarenessProtocol.Awareness(this.doc)
    this.seq = 0
    this.received = 0
    this.openedAt = null
    this.syncedAt = null
    this.startedAt = null
    this.ws = null
    this.closed = false
    this.seen = new Map() // writer key -> last seq applied here
    this.hist = [] // a writer's own last write times, newest first
    // Each write sets the writer's key to {seq, t, hist}: hist holds the times of
    // its previous writes, so writes that reach a reader merged into one update
    // are timed too. Observing the map is cheap; observing the growing array
    // (event.changes walks it) would cost the generator more than the servers.
    this.last.observe((event) => {
      if (event.transaction.local) return
      const t = now()
      for (const key of event.keysChanged) {
        const value = this.last.get(key)
        if (!value || !key.startsWith(RUN)) continue
        const prev = this.seen.get(key) || 0
        if (value.seq <= prev) continue
        for (let seq = prev + 1; seq <= value.seq; seq++) {
          const stamp = seq === value.seq ? value.t : value.hist[value.seq - seq - 1]
          if (stamp === undefined) { unsampled++; this.received++; continue }
          if (stamp >= window.from && stamp <= window.to) {
            updateLatency.push(t - stamp)
            this.received++
          }
        }
        this.seen.set(key, value.seq)
      }
    })
    this.doc.on('update', (update, origin) => {
      if (origin !== this && this.ws && this.ws.readyState === WebSocket.OPEN) {
        const e = this.encoder(SYNC)
        syncProtocol.writeUpdate(e, update)
        this.ws.send(encoding.toUint8Array(e))
      }
    })
  }

  encoder (type) {
    const e = encoding.createEncoder()
    if (hocus) encoding.writeVarString(e, this.room.doc)
    encoding.writeVarUint(e, type)
    return e
  }

  connect () {
    this.attempts = (this.attempts || 0) + 1
    this.startedAt = now()
    const ws = new WebSocket(this.url, { perMessageDeflate: false })
    this.ws = ws
    ws.binaryType = 'nodebuffer'
    ws.on('open', () => {
      if (ws !== this.ws) return
      this.openedAt = now()
      if (hocus) {
        const e = this.encoder(AUTH)
        encoding.writeVarUint(e, 0) // token
        encoding.writeVarString(e, token)
        ws.send(encoding.toUint8Array(e))
      }
      const e = this.encoder(SYNC)
      syncProtocol.writeSyncStep1(e, this.doc)
      ws.send(encoding.toUint8Array(e))
    })
    ws.on('message', (data) => {
      if (ws !== this.ws) return
      try {
        this.handle(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      } catch (err) {
        note(errors, `message: ${err.message}`.slice(0, 120))
      }
    })
    ws.on('close', (code) => {
      if (!this.closed && ws === this.ws) note(closes, String(code))
    })
    ws.on('error', (err) => {
      if (ws === this.ws) note(errors, `socket: ${err.code || err.message}`.slice(0, 120))
    })
  }

  reconnect () {
    const old = this.ws
    this.ws = null
    if (old) old.terminate()
    this.connect()
  }

  handle (frame) {
    const d = decoding.createDecoder(frame)
    if (hocus) decoding.readVarString(d)
    const type = decoding.readVarUint(d)
    if (type === SYNC || type === SYNC_REPLY) {
      const e = this.encoder(SYNC)
      const before = encoding.length(e)
      const sub = syncProtocol.readSyncMessage(d, e, this.doc, this)
      if (encoding.length(e) > before) this.ws.send(encoding.toUint8Array(e))
      if (sub === syncProtocol.messageYjsSyncStep2 && this.syncedAt === null) this.syncedAt = now()
    } else if (type === AWARENESS) {
      this.presence(decoding.readVarUint8Array(d))
    }
    // auth replies, hocuspocus' sync-status acknowledgements: nothing to do
  }

  presence (update) {
    const d = decoding.createDecoder(update)
    const count = decoding.readVarUint(d)
    const t = now()
    for (let i = 0; i < count; i++) {
      const clientID = decoding.readVarUint(d)
      decoding.readVarUint(d) // clock
      const state = decoding.readVarString(d)
      if (clientID === this.doc.clientID || state === 'null') continue
      const stamp = JSON.parse(state).t
      if (typeof stamp === 'number' && stamp >= window.from && stamp <= window.to) {
        presenceLatency.push(t - stamp)
        presenceDelivered++
      }
    }
  }

  write (writerIndex) {
    const t = now()
    const seq = ++this.seq
    const hist = this.hist
    this.doc.transact(() => {
      this.log.push([{ r: RUN, w: writerIndex, seq, t }])
      this.last.set(`${RUN}-w${writerIndex}`, { seq, t, hist })
    }, null)
    this.hist = [t, ...hist.slice(0, 15)]
    return t
  }

  sendPresence () {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false
    this.awareness.setLocalState({ t: now(), x: Math.random(), y: Math.random(), name: `c${this.index}` })
    const e = this.encoder(AWARENESS)
    encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID]))
    this.ws.send(encoding.toUint8Array(e))
    return true
  }

  close () {
    this.closed = true
    this.awareness.destroy()
    if (this.ws) this.ws.terminate()
  }
}

// -- the run ------------------------------------------------------------------------------

async function main () {
  const lag = new LoopLag()
  const all = []
  for (const room of rooms) {
    room.members = room.clients.map((spec, i) => new Client(room, spec, i))
    all.push(...room.members)
  }
  phase('join')
  const joinStart = now()
  for (const c of all) c.connect()
  const deadline = joinStart + joinTimeout * 1000
  let firstTry = null
  while (all.some((c) => c.syncedAt === null) && now() < deadline) {
    await sleep(20)
    if (firstTry === null && now() - joinStart > joinRetry * 1000) {
      firstTry = all.filter((c) => c.syncedAt !== null).length
    }
    for (const c of all) {
      if (c.syncedAt === null && now() - c.startedAt > joinRetry * 1000) {
        c.reconnect()
      }
    }
  }
  const synced = all.filter((c) => c.syncedAt !== null)
  const join = {
    clients: all.length,
    synced_first_try: firstTry === null ? synced.length : firstTry,
    synced: synced.length,
    retries: all.reduce((n, c) => n + c.attempts - 1, 0),
    synced_ms: summary(synced.map((c) => c.syncedAt - joinStart)),
    all_synced_ms: synced.length === all.length
      ? Math.round(Math.max(...synced.map((c) => c.syncedAt - joinStart)))
      : null
  }
  await sleep(warmup * 1000)

  // Writers and presence, each on its own timer with a random phase.
  lag.enable()
  const cpuBefore = process.cpuUsage()
  const timers = []
  let writes = 0
  let expected = 0
  window = { from: now(), to: Infinity }
  phase('write-start')
  const writeStart = now()
  for (const room of rooms) {
    const writers = room.members.filter((c) => c.writer)
    writers.forEach((c, w) => {
      const period = 1000 / rate
      timers.push(setTimeout(() => {
        const tick = () => {
          c.write(w)
          writes++
          expected += room.members.length - 1
        }
        tick()
        timers.push(setInterval(tick, period))
      }, Math.random() * period))
    })
    if (presence) {
      for (const c of room.members) {
        timers.push(setTimeout(() => {
          const tick = () => {
            if (c.sendPresence()) {
              presenceSent++
              presenceExpected += room.members.length - 1
            }
          }
          tick()
          timers.push(setInterval(tick, 1000))
        }, Math.random() * 1000))
      }
    }
  }
  await sleep(duration * 1000)
  for (const t of timers) { clearTimeout(t); clearInterval(t) }
  window.to = now()
  phase('write-end')
  const writeWall = (now() - writeStart) / 1000
  await sleep(drain * 1000)
  phase('drained')
  // Every replica of a room must hold every write of the room (the array).
  let converged = 0
  for (const room of rooms) {
    const total = room.members.reduce((n, c) => n + c.seq, 0)
    converged += room.members.filter(
      (c) => c.log.toArray().filter((e) => e && e.r === RUN).length === total).length
  }
  const cpu = process.cpuUsage(cpuBefore)
  lag.disable()

  const result = {
    dialect,
    rooms: rooms.length,
    clients_per_room: rooms.map((r) => r.members.length),
    writers_per_room: rooms.map((r) => r.members.filter((c) => c.writer).length),
    rate_hz: rate,
    duration_s: duration,
    presence,
    join,
    writes,
    updates: { expected, delivered: updateLatency.length + unsampled, unsampled,
      latency_ms: summary(updateLatency), converged_replicas: converged },
    presence_updates: presence
      ? { sent: presenceSent, expected: presenceExpected, delivered: presenceDelivered,
          latency_ms: summary(presenceLatency) }
      : null,
    generator: {
      cpu_pct: Math.round(((cpu.user + cpu.system) / 1e6 / (writeWall + drain)) * 1000) / 10,
      loop_lag_ms: summary(lag.samples)
    },
    closes,
    errors
  }
  for (const c of all) c.close()
  process.stdout.write(`result ${JSON.stringify(result)}\n`)
  // Timers of ws and the awareness instances are gone; leave promptly anyway.
  setTimeout(() => process.exit(0), 500).unref()
}

const guard = setTimeout(() => {
  process.stderr.write('gen.mjs: gave up after its time limit\n')
  process.exit(2)
}, (joinTimeout + warmup + duration + drain + 30) * 1000)
guard.unref()
main().catch((err) => { console.error(err); process.exit(1) })
