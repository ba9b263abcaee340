// The projector page at /display/. It logs in once with the room's display
// account, finds its meeting and then runs unattended: it never gives up
// reconnecting, and after a refusal it starts over a little later.
//   /display/#/meeting/ID or /display/?meeting=ID   a given meeting
//   /display/?lang=en                               English

import './style.css'
import { h, replaceContent } from '../../shared/dom.js'
import { me, listMeetings } from '../../shared/api.js'
import { clearUserData } from '../../shared/session.js'
import { mountLogin } from '../../shared/login.js'
import { t, errorMessage, getLang, setLang, LANGS } from '../../shared/i18n/index.js'
import { formatDateTime } from '../../shared/time.js'
import { CloseCode } from '../../shared/messages.js'
import { mountStage } from './stage.js'
import { pickMeeting, meetingFromUrl } from './pick.js'

const RETRY_MS = 10000 // server unreachable while booting
const IDLE_MS = 60000 // no meeting yet, or the meeting refused us

const stage = document.getElementById('stage')
const app = { screen: null, timer: null, seq: 0 }

function fit() {
  const scale = Math.min(window.innerWidth / 1920, window.innerHeight / 1080)
  document.documentElement.style.setProperty('--scale', String(scale))
}

function setScreen(screen, mode) {
  app.screen?.destroy?.()
  app.screen = screen
  document.body.dataset.mode = mode
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

async function boot() {
  const seq = ++app.seq
  clearTimeout(app.timer)
  const stale = () => seq !== app.seq
  try {
    await me()
    if (stale()) return
    let id = meetingFromUrl()
    if (!id) {
      const { meetings = [] } = await listMeetings()
      if (stale()) return
      const chosen = pickMeeting(meetings)
      if (!chosen) {
        showChooser(meetings)
        later(IDLE_MS)
        return
      }
      id = String(chosen.id)
    }
    setScreen(
      mountStage(stage, id, {
        onStopped: ({ code }) => {
          if (code === CloseCode.UNAUTHORIZED) {
            clearUserData()
            showLogin('login.expired')
          } else {
            later(IDLE_MS)
          }
        },
      }),
      'stage',
    )
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
