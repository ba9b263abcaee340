// The HTTP calls of docs/protocol.md. Same origin; the session cookie does
// the authentication, so no token is ever kept in the browser.

export class ApiError extends Error {
  constructor(status, code, message = '', messageEn = '') {
    super(messageEn || message || code)
    this.name = 'ApiError'
    this.status = status // 0: the server could not be reached
    this.code = code
    this.serverMessage = message
    this.serverMessageEn = messageEn
  }
}

async function call(method, path, body) {
  const init = {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json' },
  }
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  let response
  try {
    response = await fetch(path, init)
  } catch {
    throw new ApiError(0, 'network')
  }
  let data = null
  try {
    data = await response.json()
  } catch {
    // an empty or non-JSON body; judged by the status below
  }
  if (!response.ok) {
    const error = data?.error ?? {}
    const code = error.code ?? (response.status >= 500 ? 'server' : `http_${response.status}`)
    throw new ApiError(response.status, code, error.message, error.message_en)
  }
  return data ?? {}
}

const seg = (id) => encodeURIComponent(id)

export const login = (username, password) => call('POST', '/api/login', { username, password })
export const logout = () => call('POST', '/api/logout')
export const me = () => call('GET', '/api/me')
export const listMeetings = () => call('GET', '/api/meetings')
export const getMeeting = (id) => call('GET', `/api/meetings/${seg(id)}`)
