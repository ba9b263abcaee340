// Wire numbers of docs/protocol.md. Keep in step with the server's enums.

export const MessageType = Object.freeze({
  SYNC: 0,
  AWARENESS: 1,
  AUTH: 2,
  QUERY_AWARENESS: 3,
  INTENT: 100,
  INTENT_RESULT: 101,
  PING: 102, // client to server: are you there? (heartbeat.js)
  PONG: 103, // server to client: the answer, at once
})

export const SyncType = Object.freeze({
  STEP1: 0,
  STEP2: 1,
  UPDATE: 2,
})

export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  ABNORMAL: 1006,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_REQUEST: 4400,
  UNAUTHORIZED: 4401,
  FORBIDDEN: 4403,
  NOT_FOUND: 4404,
  TOO_LARGE: 4413,
  TOO_MANY_REQUESTS: 4429,
})

/** A 44xx close means "do not come back as you are", except 4429 (come back later). */
export const isFinalClose = (code) =>
  code >= 4400 && code <= 4499 && code !== CloseCode.TOO_MANY_REQUESTS
