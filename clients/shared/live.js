// One live document over one websocket, as in docs/protocol.md: Yjs sync,
// awareness, auth, and intents with their replies. A small cousin of
// y-websocket's WebsocketProvider that adds intents, jittered reconnects and
// the close-code rules of the protocol.

import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as authProtocol from 'y-protocols/auth'
import { MessageType, SyncType, CloseCode, isFinalClose } from './messages.js'
import { retryDelay, rateLimitedDelay, soonDelay } from './backoff.js'
import { DEFAULT_HEARTBEAT, heartbeatAction, heartbeatTick } from './heartbeat.js'

export const Status = Object.freeze({
  CONNECTING: 'connecting', // first connection, not yet synced
  LIVE: 'live', // synced; updates flow
  RECONNECTING: 'reconnecting', // lost the socket, waiting or trying again
  STOPPED: 'stopped', // the server said not to come back (44xx); see detail
  CLOSED: 'closed', // destroy() was called
})

// An update with no structs and no deletions: what a read-only replica
// answers to the server's sync step 1, so it can never be taken for a write.
const EMPTY_UPDATE = new Uint8Array([0, 0])

// A connection that stayed live this long counts as good: the next drop
// starts the backoff from the beginning again.
const STABLE_MS = 10000

export class IntentError extends Error {
  /**
   * @param {string} code server code (forbidden, not_found ...) or a local one:
   *   offline (no socket), timeout (no reply in time), disconnected (socket
   *   closed before the reply; the intent may or may not have been applied)
   */
  constructor(code, message = '', messageEn = '') {
    super(messageEn || message || code)
    this.name = 'IntentError'
    this.code = code
    this.serverMessage = message
    this.serverMessageEn = messageEn
  }
}

export function websocketUrl(name, loc = globalThis.location, params = {}) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:'
  const query = new URLSearchParams(params).toString()
  return `${scheme}//${loc.host}/ws/${name}${query ? `?${query}` : ''}`
}

// Every connection not yet destroyed, so logout can close them all.
const open = new Set()

/** Destroy every live connection of this page (logout). */
export function closeAllConnections() {
  for (const connection of [...open]) connection.destroy()
}

export class LiveConnection {
  /**
   * @param {string} url full websocket URL, see websocketUrl()
   * @param {object} [options]
   * @param {Y.Doc} [options.doc] replica to keep in sync (created if absent)
   * @param {boolean} [options.readOnly] never send document updates (the room)
   * @param {object|null} [options.awareness] initial local awareness state
   * @param {number} [options.intentTimeout] ms to wait for an INTENT_RESULT
   * @param {number} [options.idleMs] silence after which the server is pinged
   * @param {number} [options.probeMs] ms to wait for the ping's answer
   * @param {number} [options.connectMs] ms to wait for a socket to open
   * @param {object} [options.backoff] see backoff.js DEFAULT_BACKOFF
   * @param {typeof WebSocket} [options.WebSocket] for tests
   * @param {() => number} [options.random] for tests
   */
  constructor(url, options = {}) {
    this.url = url
    this._ownsDoc = !options.doc
    this.doc = options.doc ?? new Y.Doc()
    this.readOnly = Boolean(options.readOnly)
    this.awareness = new awarenessProtocol.Awareness(this.doc)
    this.awareness.setLocalState(options.awareness ?? null)
    this.intentTimeout = options.intentTimeout ?? 10000
    this.idleMs = options.idleMs ?? DEFAULT_HEARTBEAT.idleMs
    this.probeMs = options.probeMs ?? DEFAULT_HEARTBEAT.deadlineMs
    this.connectMs = options.connectMs ?? DEFAULT_HEARTBEAT.connectMs
    this._backoff = options.backoff ?? {}
    this._WebSocket = options.WebSocket ?? globalThis.WebSocket
    this._random = options.random ?? Math.random

    this.status = Status.CONNECTING
    this.detail = {}
    this.synced = false
    this._ws = null
    this._attempt = 0
    this._liveSince = 0
    this._lastMessageAt = 0
    this._probeSentAt = 0
    this._retryTimer = null
    this._retryAt = 0
    this._watchTimer = null
    this._connectTimer = null
    this._deniedReason = ''
    this._listeners = new Map()
    this._pending = new Map()
    this._seq = 0
    this._idPrefix = Math.floor(this._random() * 0x100000000).toString(36)
    this._destroyed = false

    this._onDocUpdate = (update, origin) => {
      if (origin !== this && !this.readOnly) {
        this._send(MessageType.SYNC, (e) => syncProtocol.writeUpdate(e, update))
      }
    }
    this._onAwarenessUpdate = ({ added, updated, removed }, origin) => {
      // Only our own state goes out: the server stamps every state a socket
      // sends with that socket's person, so relaying others' would misattribute.
      const own = this.awareness.clientID
      if (origin === this || ![...added, ...updated, ...removed].includes(own)) return
      this._sendAwareness()
    }
    this._onOnline = () => {
      // The network is back: retry soon, still spread out over the room.
      const delay = this._random() * 2000
      if (this._retryTimer !== null && Date.now() + delay < this._retryAt) this._scheduleRetry(delay)
    }
    this.doc.on('update', this._onDocUpdate)
    this.awareness.on('update', this._onAwarenessUpdate)
    globalThis.addEventListener?.('online', this._onOnline)
    open.add(this)
    this._connect()
  }

  /** Subscribe to 'status' ({status, ...detail}), 'synced', 'denied' (reason). */
  on(event, fn) {
    if (!this._listeners.has(event)) this._listeners.set(event, new Set())
    this._listeners.get(event).add(fn)
    return () => this._listeners.get(event)?.delete(fn)
  }

  /**
   * Send an intent on this socket and wait for its INTENT_RESULT.
   * Resolves with `result`; rejects with an IntentError.
   */
  sendIntent(type, args = {}, { timeout = this.intentTimeout } = {}) {
    if (!this._isOpen()) return Promise.reject(new IntentError('offline'))
    const id = `${this._idPrefix}-${++this._seq}`
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id)
        reject(new IntentError('timeout'))
      }, timeout)
      this._pending.set(id, { resolve, reject, timer })
      this._send(MessageType.INTENT, (e) =>
        encoding.writeVarString(e, JSON.stringify({ id, type, args })),
      )
    })
  }

  /** Try again now: after a STOPPED status, or to skip a backoff wait. */
  reconnect() {
    if (this._destroyed) return
    this._attempt = 0
    this._clearRetry()
    if (this._ws) this._abandon(CloseCode.NORMAL, 'reconnect')
    else this._connect()
  }

  destroy() {
    if (this._destroyed) return
    open.delete(this)
    // Tell the others we left while the socket can still carry it.
    this.awareness.setLocalState(null)
    this._destroyed = true
    this._clearRetry()
    this._stopWatch()
    this._clearConnectTimer()
    const ws = this._ws
    this._ws = null
    if (ws) {
      detach(ws)
      try {
        ws.close(CloseCode.NORMAL)
      } catch {
        // already closing
      }
    }
    this._failPending('disconnected')
    globalThis.removeEventListener?.('online', this._onOnline)
    this.doc.off('update', this._onDocUpdate)
    this.awareness.off('update', this._onAwarenessUpdate)
    this.awareness.destroy()
    if (this._ownsDoc) this.doc.destroy()
    this._setStatus(Status.CLOSED)
    this._listeners.clear()
  }

  // -- socket life ---------------------------------------------------------

  _connect() {
    this._retryTimer = null
    if (this._destroyed) return
    if (this.status === Status.STOPPED) this._setStatus(Status.RECONNECTING)
    this.synced = false
    let ws
    try {
      ws = new this._WebSocket(this.url)
    } catch (err) {
      console.warn('websocket failed to open', err)
      this._afterClose(CloseCode.ABNORMAL, '')
      return
    }
    ws.binaryType = 'arraybuffer'
    this._ws = ws
    this._deniedReason = ''
    this._clearConnectTimer()
    this._connectTimer = setTimeout(() => {
      this._connectTimer = null
      if (this._ws === ws && ws.readyState !== 1) this._abandon(CloseCode.ABNORMAL, 'no answer')
    }, this.connectMs)
    ws.onopen = () => {
      this._clearConnectTimer()
      this._lastMessageAt = Date.now()
      this._probeSentAt = 0
      // Our state vector: the server answers with only what we miss.
      this._send(MessageType.SYNC, (e) => syncProtocol.writeSyncStep1(e, this.doc))
      if (this.awareness.getLocalState() !== null) this._sendAwareness()
      this._startWatch()
    }
    ws.onmessage = (event) => {
      this._lastMessageAt = Date.now()
      this._probeSentAt = 0
      if (typeof event.data === 'string') return // the protocol is binary only
      try {
        this._receive(new Uint8Array(event.data))
      } catch (err) {
        console.warn('bad message from server', err)
      }
    }
    ws.onclose = (event) => {
      if (this._ws !== ws) return
      this._ws = null
      this._afterClose(event.code, event.reason)
    }
    ws.onerror = () => {} // a close event follows
  }

  /** Give up on the current socket now, without waiting for its close event. */
  _abandon(code, reason) {
    const ws = this._ws
    this._ws = null
    detach(ws)
    try {
      ws.close()
    } catch {
      // nothing to close
    }
    this._afterClose(code, reason)
  }

  _afterClose(code, reason) {
    this._stopWatch()
    this._clearConnectTimer()
    this._failPending('disconnected')
    const others = [...this.awareness.getStates().keys()].filter(
      (id) => id !== this.awareness.clientID,
    )
    awarenessProtocol.removeAwarenessStates(this.awareness, others, this)
    const wasSynced = this.synced
    this.synced = false
    if (this._destroyed) return

    if (isFinalClose(code)) {
      this._setStatus(Status.STOPPED, { code, reason: reason || this._deniedReason })
      return
    }
    if (wasSynced && Date.now() - this._liveSince >= STABLE_MS) this._attempt = 0
    let delay
    if (code === CloseCode.TOO_MANY_REQUESTS) {
      delay = rateLimitedDelay(this._backoff, this._random)
    } else if (code === CloseCode.TRY_AGAIN_LATER || code === CloseCode.SERVICE_RESTART) {
      delay = soonDelay(this._backoff, this._random)
    } else {
      delay = retryDelay(this._attempt, this._backoff, this._random)
      this._attempt += 1
    }
    this._setStatus(Status.RECONNECTING, { code, reason, retryAt: Date.now() + delay })
    this._scheduleRetry(delay)
  }

  _scheduleRetry(delay) {
    this._clearRetry()
    this._retryAt = Date.now() + delay
    this._retryTimer = setTimeout(() => this._connect(), delay)
  }

  _clearRetry() {
    if (this._retryTimer !== null) clearTimeout(this._retryTimer)
    this._retryTimer = null
  }

  // A socket can look open long after the wifi is gone or the server froze:
  // see heartbeat.js.
  _startWatch() {
    this._stopWatch()
    const options = { idleMs: this.idleMs, deadlineMs: this.probeMs }
    this._watchTimer = setInterval(() => {
      if (!this._isOpen()) return
      const now = Date.now()
      const action = heartbeatAction({ now, lastMessageAt: this._lastMessageAt, pingSentAt: this._probeSentAt }, options)
      if (action === 'dead') {
        this._abandon(CloseCode.ABNORMAL, 'no answer')
      } else if (action === 'ping') {
        this._probeSentAt = now
        this._send(MessageType.PING, () => {})
      }
    }, heartbeatTick(options))
  }

  _clearConnectTimer() {
    if (this._connectTimer !== null) clearTimeout(this._connectTimer)
    this._connectTimer = null
  }

  _stopWatch() {
    if (this._watchTimer !== null) clearInterval(this._watchTimer)
    this._watchTimer = null
  }

  // -- messages ------------------------------------------------------------

  _receive(bytes) {
    const decoder = decoding.createDecoder(bytes)
    const type = decoding.readVarUint(decoder)
    switch (type) {
      case MessageType.SYNC:
        this._receiveSync(decoder)
        break
      case MessageType.AWARENESS:
        awarenessProtocol.applyAwarenessUpdate(
          this.awareness,
          decoding.readVarUint8Array(decoder),
          this,
        )
        break
      case MessageType.AUTH:
        authProtocol.readAuthMessage(decoder, this.doc, (_doc, reason) => {
          this._deniedReason = reason
          this._emit('denied', reason)
        })
        break
      case MessageType.INTENT_RESULT:
        this._receiveIntentResult(decoding.readVarString(decoder))
        break
      case MessageType.PONG:
        break // any frame counts as an answer (onmessage noted the time)
      default:
      // A newer server may speak more; what we do not know we leave alone.
    }
  }

  _receiveSync(decoder) {
    const subtype = decoding.readVarUint(decoder)
    if (subtype === SyncType.STEP1) {
      const stateVector = decoding.readVarUint8Array(decoder)
      this._send(MessageType.SYNC, (e) => {
        if (this.readOnly) {
          encoding.writeVarUint(e, SyncType.STEP2)
          encoding.writeVarUint8Array(e, EMPTY_UPDATE)
        } else {
          syncProtocol.writeSyncStep2(e, this.doc, stateVector)
        }
      })
    } else if (subtype === SyncType.STEP2 || subtype === SyncType.UPDATE) {
      Y.applyUpdate(this.doc, decoding.readVarUint8Array(decoder), this)
      if (subtype === SyncType.STEP2 && !this.synced) {
        this.synced = true
        this._liveSince = Date.now()
        this._setStatus(Status.LIVE)
        this._emit('synced')
      }
    }
  }

  _receiveIntentResult(text) {
    let reply
    try {
      reply = JSON.parse(text)
    } catch {
      console.warn('INTENT_RESULT is not JSON')
      return
    }
    const key = String(reply?.id)
    const pending = this._pending.get(key)
    if (!pending) return // timed out already, or not ours
    this._pending.delete(key)
    clearTimeout(pending.timer)
    if (reply.ok) {
      pending.resolve(reply.result ?? {})
    } else {
      const err = reply.error ?? {}
      pending.reject(new IntentError(err.code ?? 'unknown', err.message, err.message_en))
    }
  }

  _sendAwareness() {
    const own = [this.awareness.clientID]
    this._send(MessageType.AWARENESS, (e) =>
      encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(this.awareness, own)),
    )
  }

  _send(type, writePayload) {
    if (!this._isOpen()) return false
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, type)
    writePayload(encoder)
    this._ws.send(encoding.toUint8Array(encoder))
    return true
  }

  _isOpen() {
    return this._ws !== null && this._ws.readyState === 1 // WebSocket.OPEN
  }

  _failPending(code) {
    for (const { reject, timer } of this._pending.values()) {
      clearTimeout(timer)
      reject(new IntentError(code))
    }
    this._pending.clear()
  }

  _setStatus(status, detail = {}) {
    this.status = status
    this.detail = detail
    this._emit('status', { status, ...detail })
  }

  _emit(event, value) {
    for (const fn of this._listeners.get(event) ?? []) {
      try {
        fn(value)
      } catch (err) {
        console.error(err)
      }
    }
  }
}

function detach(ws) {
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null
}
