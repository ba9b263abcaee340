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

async function call(method, path, body, { raw = false } = {}) {
  const init = {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json' },
  }
  if (raw) {
    // A file as the request body, streamed by the browser.
    init.headers['Content-Type'] = body.type || 'application/octet-stream'
    init.body = body
  } else if (body !== undefined) {
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
export const displayNow = () => call('GET', '/api/display/now')
export const getMeeting = (id) => call('GET', `/api/meetings/${seg(id)}`)

const query = (params) => {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const text = q.toString()
  return text ? `?${text}` : ''
}

// Preparing a meeting (docs/api.md).
export const createMeeting = (fields) => call('POST', '/api/meetings', fields)
export const updateMeeting = (id, fields) => call('PATCH', `/api/meetings/${seg(id)}`, fields)
export const setStatus = (id, to, extra = {}) => call('POST', `/api/meetings/${seg(id)}/status`, { to, ...extra })
export const addItem = (id, fields) => call('POST', `/api/meetings/${seg(id)}/agenda`, fields)
export const updateItem = (id, item, fields) =>
  call('PATCH', `/api/meetings/${seg(id)}/agenda/${seg(item)}`, fields)
export const removeItem = (id, item) => call('DELETE', `/api/meetings/${seg(id)}/agenda/${seg(item)}`)
export const reorderItems = (id, order) => call('PUT', `/api/meetings/${seg(id)}/agenda/order`, { order })
export const listParticipants = (id) => call('GET', `/api/meetings/${seg(id)}/participants`)
export const addParticipant = (id, userId, role) =>
  call('POST', `/api/meetings/${seg(id)}/participants`, { user_id: userId, role })
export const updateParticipant = (id, userId, role) =>
  call('PATCH', `/api/meetings/${seg(id)}/participants/${seg(userId)}`, { role })
export const removeParticipant = (id, userId) =>
  call('DELETE', `/api/meetings/${seg(id)}/participants/${seg(userId)}`)
export const respond = (id, answer) => call('PUT', `/api/meetings/${seg(id)}/response`, answer)
export const findUsers = (q) => call('GET', `/api/users${query({ q })}`)
export const checkinCode = (id, user) => call('GET', `/api/meetings/${seg(id)}/checkin-code${query({ user })}`)
export const listRooms = () => call('GET', '/api/rooms')
export const listDocuments = (id) => call('GET', `/api/meetings/${seg(id)}/documents`)
export const uploadDocument = (id, file, params) =>
  call('POST', `/api/meetings/${seg(id)}/documents${query({ filename: file.name, ...params })}`, file, { raw: true })
export const updateDocument = (docId, fields) => call('PATCH', `/api/documents/${seg(docId)}`, fields)
export const removeDocument = (docId) => call('DELETE', `/api/documents/${seg(docId)}`)
export const documentOpens = (docId) => call('GET', `/api/documents/${seg(docId)}/opens`)

// Reading.
export const pageText = (docId, page) => call('GET', `/api/documents/${seg(docId)}/pages/${seg(page)}/text`)
export const search = (q, meeting) => call('GET', `/api/search${query({ q, meeting })}`)

// Polls (docs/protocol.md "Voting", HTTP).
export const getPoll = (id) => call('GET', `/api/polls/${seg(id)}`)
export const pollReceipts = (id) => call('GET', `/api/polls/${seg(id)}/receipts`)
export const pollExportUrl = (id, format) => `/api/polls/${seg(id)}/result.${format}`

// After the session (docs/api.md "After the session").
export const minutesDraft = (id) => call('GET', `/api/meetings/${seg(id)}/minutes/draft`)
export const listMinutes = (id) => call('GET', `/api/meetings/${seg(id)}/minutes`)
export const approveMinutes = (id, body) => call('POST', `/api/meetings/${seg(id)}/minutes/approve`, body)
export const signMinutes = (id, version) => call('POST', `/api/meetings/${seg(id)}/minutes/${seg(version)}/sign`)
export const signConclusion = (id, version) => call('POST', `/api/meetings/${seg(id)}/conclusion/${seg(version)}/sign`)
export const getConclusion = (id) => call('GET', `/api/meetings/${seg(id)}/conclusion`)
export const issueConclusion = (id, body) => call('POST', `/api/meetings/${seg(id)}/conclusion`, body)
export const copyMeeting = (id, body) => call('POST', `/api/meetings/${seg(id)}/copy`, body)
export const attachDocument = (id, body) => call('POST', `/api/meetings/${seg(id)}/documents/attach`, body)

// Downloads are plain links (the session cookie goes along).
export const annotatedUrl = (docId) => `/api/documents/${seg(docId)}/annotated`
export const minutesPdfUrl = (id, version) => `/api/meetings/${seg(id)}/minutes/${seg(version)}.pdf`
export const conclusionPdfUrl = (id, version) => `/api/meetings/${seg(id)}/conclusion.pdf${query({ version })}`
export const exportZipUrl = (id) => `/api/meetings/${seg(id)}/export.zip`

/**
 * Whether a download is there (200), asked with HEAD so nothing is sent;
 * a server that refuses HEAD is asked with GET and the body dropped.
 * Any failure counts as "not there": no link rather than a broken one.
 */
export async function downloadable(path) {
  const ask = (method) => fetch(path, { method, credentials: 'same-origin', cache: 'no-store' })
  try {
    let response = await ask('HEAD')
    if (response.status === 405 || response.status === 501) {
      response = await ask('GET')
      response.body?.cancel().catch(() => {})
    }
    return response.status === 200
  } catch {
    return false
  }
}

export const EXPORT_FORMATS = ['csv', 'pdf']

/**
 * Which exports of a poll may be linked: {csv: bool, pdf: bool}. The poll must
 * answer 200; if it lists its `exports`, that list is believed, otherwise each
 * file is asked for.
 */
export async function availableExports(pollId, { fetchPoll = getPoll, probe = downloadable } = {}) {
  const none = Object.fromEntries(EXPORT_FORMATS.map((f) => [f, false]))
  let data
  try {
    data = await fetchPoll(pollId)
  } catch {
    return none
  }
  const listed = data?.poll?.exports
  const found = await Promise.all(
    EXPORT_FORMATS.map((f) => (Array.isArray(listed) && !listed.includes(f) ? false : probe(pollExportUrl(pollId, f)))),
  )
  return Object.fromEntries(EXPORT_FORMATS.map((f, i) => [f, Boolean(found[i])]))
}

// Administration of a body (docs/api.md "Administration"): body admins only,
// but the groups of a meeting, which its preparers read and add.
export const adminUsers = (q, inactive) => call('GET', `/api/users${query({ q, inactive: inactive ? 1 : '', body: 'mine' })}`)
export const createUser = (fields) => call('POST', '/api/users', fields)
export const updateUser = (id, fields) => call('PATCH', `/api/users/${seg(id)}`, fields)
export const makePassword = (id) => call('POST', `/api/users/${seg(id)}/password`)
export const getBody = () => call('GET', '/api/body')
export const updateBody = (fields) => call('PATCH', '/api/body', fields)
export const createRoom = (fields) => call('POST', '/api/rooms', fields)
export const updateRoom = (id, fields) => call('PATCH', `/api/rooms/${seg(id)}`, fields)
export const createDisplay = (roomId, fields) => call('POST', `/api/rooms/${seg(roomId)}/displays`, fields)
export const listUnits = () => call('GET', '/api/units')
export const addUnit = (name) => call('POST', '/api/units', { name })
export const renameUnit = (id, name) => call('PATCH', `/api/units/${seg(id)}`, { name })
export const removeUnit = (id) => call('DELETE', `/api/units/${seg(id)}`)
export const listHolidays = () => call('GET', '/api/holidays')
export const addHoliday = (day, name) => call('POST', '/api/holidays', { day, name })
export const removeHoliday = (day) => call('DELETE', `/api/holidays/${seg(day)}`)
export const listGroups = () => call('GET', '/api/groups')
export const createGroup = (fields) => call('POST', '/api/groups', fields)
export const updateGroup = (id, fields) => call('PATCH', `/api/groups/${seg(id)}`, fields)
export const removeGroup = (id) => call('DELETE', `/api/groups/${seg(id)}`)
export const retentionList = () => call('GET', '/api/retention')
export const meetingGroups = (id) => call('GET', `/api/meetings/${seg(id)}/groups`)
export const addGroupToMeeting = (id, groupId, role) =>
  call('POST', `/api/meetings/${seg(id)}/groups/${seg(groupId)}`, { role })

// Invitations: the letter as sent, whom an invitee may send, the chair's consent.
export const invitationPdfUrl = (id, params = {}) => `/api/meetings/${seg(id)}/invitation.pdf${query(params)}`
export const deputyCandidates = (id, q = '') => call('GET', `/api/meetings/${seg(id)}/deputies${query({ q })}`)
export const decideDeputy = (id, userId, approve) =>
  call('POST', `/api/meetings/${seg(id)}/participants/${seg(userId)}/deputy`, { approve })

// Bodies of the installation, for the site admin (docs/api.md "Bodies").
export const listBodies = () => call('GET', '/api/bodies')
export const createBody = (fields) => call('POST', '/api/bodies', fields)

// Written opinions between meetings (docs/opinions.md).
export const listOpinions = () => call('GET', '/api/opinions')
export const createOpinion = (fields) => call('POST', '/api/opinions', fields)
export const getOpinion = (id) => call('GET', `/api/opinions/${seg(id)}`)
export const updateOpinion = (id, fields) => call('PATCH', `/api/opinions/${seg(id)}`, fields)
export const sendOpinion = (id, workingDays) => call('POST', `/api/opinions/${seg(id)}/send`, { working_days: workingDays })
export const answerOpinion = (id, answers) => call('PUT', `/api/opinions/${seg(id)}/answer`, { answers })
export const uploadOpinionDocument = (id, file, params) =>
  call('POST', `/api/opinions/${seg(id)}/documents${query({ filename: file.name, ...params })}`, file, { raw: true })
export const removeOpinionDocument = (id, docId) => call('DELETE', `/api/opinions/${seg(id)}/documents/${seg(docId)}`)
export const opinionPageUrl = (id, docId, page, confidentiality) =>
  `/api/opinions/${seg(id)}/documents/${seg(docId)}/pages/${seg(page)}?fmt=${confidentiality === 'public' ? 'webp' : 'jpeg'}`
export const opinionSummary = (id) => call('GET', `/api/opinions/${seg(id)}/summary`)
export const saveOpinionSummary = (id, fields) => call('PUT', `/api/opinions/${seg(id)}/summary`, fields)
export const issueOpinionSummary = (id, fields) => call('POST', `/api/opinions/${seg(id)}/summary/issue`, fields)
export const listBodyPeople = () => call('GET', '/api/users?body=mine')
// Room laptops and PINs (docs/api.md "Room laptops and PINs").
export const loginPin = (who, pin) => call('POST', '/api/login/pin', { ...who, pin })
export const roomDevice = () => call('GET', '/api/room-device')
export const myPin = () => call('GET', '/api/me/pin')
export const setPin = (currentPassword, pin) => call('PUT', '/api/me/pin', { current_password: currentPassword, pin })
export const removePin = () => call('DELETE', '/api/me/pin')
export const roomDevices = (roomId) => call('GET', `/api/rooms/${seg(roomId)}/devices`)
export const registerDevice = (roomId, name) => call('POST', `/api/rooms/${seg(roomId)}/devices`, { name })
export const revokeDevice = (roomId, deviceId) => call('DELETE', `/api/rooms/${seg(roomId)}/devices/${seg(deviceId)}`)
// Tasks from the conclusion notice (docs/tasks.md).
export const listTasks = (params = {}) => call('GET', `/api/tasks${query(params)}`)
export const createTask = (fields) => call('POST', '/api/tasks', fields)
export const getTask = (id) => call('GET', `/api/tasks/${seg(id)}`)
export const taskStep = (id, body) => call('POST', `/api/tasks/${seg(id)}/actions`, body)
export const attachToTask = (id, file) =>
  call('POST', `/api/tasks/${seg(id)}/attachments${query({ filename: file.name })}`, file, { raw: true })
export const proposedTasks = (meetingId) => call('GET', `/api/meetings/${seg(meetingId)}/tasks/proposed`)
export const createTasksFromNotice = (meetingId, tasks) =>
  call('POST', `/api/meetings/${seg(meetingId)}/tasks`, { tasks })
export const taskReportUrl = (format, params = {}) => `/api/tasks/report.${format}${query(params)}`
// Notifications (docs/notifications.md): the caller's own channels, and for a
// body's admin the outbox of the body's people.
export const myNotifications = () => call('GET', '/api/me/notifications')
export const saveMyNotifications = (fields) => call('PUT', '/api/me/notifications', fields)
export const listNotifications = (state) => call('GET', `/api/notifications${query({ state })}`)
export const retryNotification = (id) => call('POST', `/api/notifications/${seg(id)}/retry`)
export const personNotifications = (userId) => call('GET', `/api/users/${seg(userId)}/notifications`)
export const savePersonNotifications = (userId, fields) => call('PUT', `/api/users/${seg(userId)}/notifications`, fields)

// Replay of an ended meeting (docs/replay.md).
export const getReplay = (id) => call('GET', `/api/meetings/${seg(id)}/replay`)
export const getReplayRoom = (id, at) => call('GET', `/api/meetings/${seg(id)}/replay/room${query({ at })}`)
export const replayPdfUrl = (id) => `/api/meetings/${seg(id)}/replay.pdf`
