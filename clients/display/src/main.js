// The projector page at /display/. It logs in once with the room's display
// account, finds its meeting and then runs unattended: it never gives up
// reconnecting, and after a refusal it starts over a little later.
//   /display/#/meeting/ID or /display/?meeting=ID   a given meeting
//   /display/?lang=en                               English
// Without a meeting in the URL, a room's display asks the server every few
// seconds which meeting is in session in its room and switches by itself;
// with none, it shows the room waiting (waiting.js).

import './style.css'
import './checkin-qr.css'
import { h, replaceContent } from '../../shared/dom.js'
import { me, listMeetings, displayNow } from '../../shared/api.js'
import { clearUserData } from '../../shared/session.js'
import { mountLogin } from '../../shared/login.js'
import { t, errorMessage, getLang, setLang, LANGS } from '../../shared/i18n/index.js'
import { formatDateTime } from '../../shared/time.js'
import { CloseCode } from '../../shared/messages.js'
import { mountStage } from './stage.js'
import { mountWaiting } from './waiting.js'
import { pickMeeting, meetingFromUrl, nextScreen } from './pick.js'

const RETRY_MS = 10000 // server unreachable while booting
const IDLE_MS = 60000 // no meeting yet, or the meeting refused us
const POLL_MS = 4000 // a room's display asks which meeting is in session

const stage = document.getElementById('stage')
// shown: the meeting on the stage and since when its session is closed.
const app = { screen: null, timer: null, poll: null, seq: 0, shown: { id: null, closedSince: null } }

function fit() {
  const scale = Math.min(window.innerWidth / 1920, window.innerHeight / 1080)
  document.documentElement.style.setProperty('--scale', String(scale))
}

function setScreen(screen, mode) {
  app.screen?.destroy?.()
  app.screen = screen
  document.body.dataset.mode = mode
  if (mode !== 'stage') app.shown = { id: null, closedSince: null }
}

/** Start over after delay ms, give or take a little so displays do not align. */
function later(delay) {
  clearTimeout(app.timer)
  app.timer = setTimeout(boot, delay * (0.9 + Math.random() * 0.2))
}

function message(text, detail) {
  setScreen(null, 'message')
  replaceContent(
    stage,
    h('div', { class: 'message' }, h('p', { class: 'big' }, text), detail ? h('p', {}, detail) : null),
  )
}

function showLogin(notice) {
  setScreen(null, 'login')
  replaceContent(stage, h('div', { class: 'login-wrap' }))
  setScreen(
    mountLogin(stage.firstChild, { notice, hint: 'login.displayHint', onLoggedIn: () => boot() }),
    'login',
  )
}

function showChooser(meetings) {
  setScreen(null, 'message')
  replaceContent(
    stage,
    h(
      'div',
      { class: 'message' },
      h('p', { class: 'big' }, t('display.noMeeting')),
      meetings.length
        ? [
            h('h2', {}, t('display.choose')),
            h(
              'ul',
              { class: 'choices' },
              meetings.map((m) =>
                h(
                  'li',
                  {},
                  h(
                    'a',
                    { class: 'button', href: `#/meeting/${encodeURIComponent(m.id)}` },
                    `${m.title} (${formatDateTime(m.starts_at)})`,
                  ),
                ),
              ),
            ),
          ]
        : null,
    ),
  )
}

function showStage(id, { retry = IDLE_MS } = {}) {
  setScreen(
    mountStage(stage, id, {
      onStopped: ({ code }) => {
        if (code === CloseCode.UNAUTHORIZED) {
          clearUserData()
          showLogin('login.expired')
        } else {
          app.shown = { id: null, closedSince: null } // refused: mount it afresh next time
          later(retry)
        }
      },
      onSession: (state) => {
        if (!sameShown(id)) return
        const closed = state === 'closed'
        if (closed && app.shown.closedSince === null) app.shown.closedSince = Date.now()
        if (!closed) app.shown.closedSince = null
      },
    }),
    'stage',
  )
  app.shown = { id: String(id), closedSince: null }
}

const sameShown = (id) => app.shown.id === String(id)

/** Show what the server says is on in the room, changing screens only when needed. */
function follow(answer) {
  const next = nextScreen(answer, app.shown)
  if (next.screen === 'stage') {
    if (!(document.body.dataset.mode === 'stage' && sameShown(next.id))) showStage(next.id, { retry: POLL_MS })
  } else if (document.body.dataset.mode === 'waiting') {
    app.screen.update(answer)
  } else {
    setScreen(mountWaiting(stage, answer), 'waiting')
  }
}

/** A room's display: ask again and again; a failed ask keeps the screen as it is. */
function pollRoom(seq) {
  clearTimeout(app.poll)
  app.poll = setTimeout(async () => {
    if (seq !== app.seq) return
    try {
      const answer = await displayNow()
      if (seq !== app.seq) return
      follow(answer)
    } catch (err) {
      if (seq !== app.seq) return
      if (err.status === 401) {
        clearUserData()
        showLogin('login.expired')
        return
      }
    }
    pollRoom(seq)
  }, POLL_MS)
}

/** A display listed in meetings without a room: its own list decides. */
async function fromList(stale) {
  const { meetings = [] } = await listMeetings()
  if (stale()) return
  const chosen = pickMeeting(meetings)
  if (!chosen) {
    showChooser(meetings)
    later(IDLE_MS)
    return
  }
  showStage(String(chosen.id))
}

async function boot() {
  const seq = ++app.seq
  clearTimeout(app.timer)
  clearTimeout(app.poll)
  const stale = () => seq !== app.seq
  try {
    await me()
    if (stale()) return
    const id = meetingFromUrl()
    if (id) {
      showStage(id)
      return
    }
    let answer
    try {
      answer = await displayNow()
    } catch (err) {
      if (err.status !== 403) throw err
      await fromList(stale) // not a room's display
      return
    }
    if (stale()) return
    follow(answer)
    pollRoom(seq)
  } catch (err) {
    if (stale()) return
    if (err.status === 401) {
      showLogin()
    } else {
      message(errorMessage(err), t('display.willRetry'))
      later(RETRY_MS)
    }
  }
}

async function keepAwake() {
  try {
    if (document.visibilityState === 'visible') await navigator.wakeLock?.request('screen')
  } catch {
    // not allowed here (no user gesture, or not supported): the screen may sleep
  }
}

const wanted = new URLSearchParams(location.search).get('lang')
setLang(LANGS.includes(wanted) ? wanted : getLang(), { persist: LANGS.includes(wanted) })
fit()
window.addEventListener('resize', fit)
window.addEventListener('hashchange', boot)
document.addEventListener('visibilitychange', keepAwake)
keepAwake()
boot()
