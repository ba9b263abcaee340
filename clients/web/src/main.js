// The laptop client: session, header and hash routes.
//   #/                         the caller's meetings
//   #/meeting/ID[?tab=console] one meeting, live
//   #/checkin/ID/CODE          a room check-in code (QR): checks in whoever is logged in
//   #/prepare/new, #/prepare/ID preparing a meeting
//   #/minutes/ID               after the meeting: minutes, conclusion, record
//   #/replay/ID[?view=projector] replay of an ended meeting
//   #/admin[/TAB]              administration of the body (admins only)
//   #/opinions[/new|/ID]       written opinions between meetings
//   #/account                  the caller's own account: notification channels, the PIN for the room's laptops
//   #/tasks[?filters], #/tasks/ID, #/tasks/meeting/ID   tasks from conclusion notices

import './style.css'
import { h, replaceContent } from '../../shared/dom.js'
import { me } from '../../shared/api.js'
import { clearUserData, endSession } from '../../shared/session.js'
import { markEntry, forgetHistory } from '../../shared/history.js'
import { mountLogin } from '../../shared/login.js'
import { t, errorMessage, getLang, setLang, otherLang, onLangChange } from '../../shared/i18n/index.js'
import { mountMeetings } from './screens/meetings.js'
import { mountMeeting } from './screens/meeting.js'
import { mountPrepare } from './screens/prepare.js'
import { mountRecord } from './screens/record.js'
import { mountReplay } from './screens/replay.js'
import { mountAdmin } from './screens/admin.js'
import { mountOpinions } from './screens/opinions.js'
import { mountOpinion } from './screens/opinion.js'
import { mountAccount } from './screens/account.js'
import { mountTasks } from './screens/tasks.js'
import { mountTask } from './screens/tasks-detail.js'
import { mountTasksFromNotice } from './screens/tasks-notice.js'

// Not user data: a one-shot message for the page that loads after logout.
const NOTICE_KEY = 'phonghop.notice'

const top = document.getElementById('top')
const main = document.getElementById('main')
const app = { user: null, screen: null, routeSeq: 0 }

const displayName = (user) => user?.name || user?.full_name || user?.username || ''

function renderHeader() {
  replaceContent(
    top,
    h(
      'a',
      {
        class: 'skip',
        href: '#main',
        onclick: (e) => {
          e.preventDefault()
          main.focus()
        },
      },
      t('app.skip'),
    ),
    h('a', { class: 'brand', href: '#/', 'data-key': 'brand' }, t('app.name')),
    h(
      'div',
      { class: 'tools' },
      // The name opens the person's own account (notification channels, PIN).
      app.user ? h('a', { class: 'who', href: '#/account', 'data-key': 'account', title: t('header.account') }, t('header.signedInAs', { name: displayName(app.user) })) : null,
      app.user ? h('a', { class: 'button', href: '#/opinions', 'data-key': 'opinions' }, t('header.opinions')) : null,
      app.user?.id ? h('a', { class: 'button', href: '#/tasks', 'data-key': 'tasks' }, t('header.tasks')) : null,
      app.user?.is_admin ? h('a', { class: 'button', href: '#/admin', 'data-key': 'admin' }, t('header.admin')) : null,
      h(
        'button',
        {
          type: 'button',
          lang: otherLang(),
          'data-key': 'lang',
          'aria-label': t('lang.switch'),
          onclick: () => setLang(otherLang()),
        },
        t('lang.other'),
      ),
      app.user
        ? h('button', { type: 'button', 'data-key': 'logout', onclick: logOut }, t('header.logout'))
        : null,
    ),
  )
}

function setScreen(screen) {
  app.screen?.destroy()
  app.screen = screen
}

function showLogin(notice) {
  setScreen(null)
  renderHeader()
  document.title = `${t('login.title')} – ${t('app.name')}`
  app.screen = mountLogin(main, {
    notice,
    roomDevice: true,
    onLoggedIn: (user) => {
      app.user = user
      route()
    },
  })
}

function sessionExpired() {
  app.user = null
  setScreen(null)
  clearUserData()
  showLogin('login.expired')
}

async function logOut() {
  setScreen(null)
  app.user = null
  replaceContent(main, h('p', { role: 'status' }, t('app.loggingOut')))
  await endSession()
  await forgetHistory(`${t('login.title')} – ${t('app.name')}`)
  try {
    sessionStorage.setItem(NOTICE_KEY, 'login.loggedOut')
  } catch {
    // the notice is a nicety
  }
  // A fresh page load drops everything the old page held in memory.
  location.replace(location.pathname)
}

async function route() {
  const seq = ++app.routeSeq
  setScreen(null)
  if (!app.user) {
    replaceContent(main, h('p', { role: 'status' }, t('app.loading')))
    try {
      app.user = (await me()).user ?? {}
    } catch (err) {
      if (seq !== app.routeSeq) return
      if (err.status === 401) {
        showLogin(takeNotice())
      } else {
        replaceContent(
          main,
          h('p', { class: 'error', role: 'alert' }, errorMessage(err)),
          h('button', { type: 'button', onclick: route }, t('app.retry')),
        )
      }
      return
    }
    if (seq !== app.routeSeq) return
  }
  renderHeader()
  const ctx = { user: app.user, unauthorized: sessionExpired }
  const live = /^#\/meeting\/([^/?#]+)/.exec(location.hash)
  const checkin = /^#\/checkin\/([^/?#]+)\/([^/?#]+)/.exec(location.hash)
  const prepare = /^#\/prepare\/([^/?#]+)/.exec(location.hash)
  const record = /^#\/minutes\/([^/?#]+)/.exec(location.hash)
  const replay = /^#\/replay\/([^/?#]+)(\?view=projector)?/.exec(location.hash)
  const admin = /^#\/admin(?:\/([a-z]+))?/.exec(location.hash)
  const opinion = /^#\/opinions(?:\/([^/?#]+))?/.exec(location.hash)
  const tasksOf = /^#\/tasks\/meeting\/([^/?#]+)/.exec(location.hash)
  const task = /^#\/tasks\/([0-9]+)/.exec(location.hash)
  if (checkin) setScreen(mountMeeting(main, decodeURIComponent(checkin[1]), { ...ctx, checkinCode: decodeURIComponent(checkin[2]) }))
  else if (live) setScreen(mountMeeting(main, decodeURIComponent(live[1]), ctx))
  else if (prepare) setScreen(mountPrepare(main, decodeURIComponent(prepare[1]), ctx))
  else if (record) setScreen(mountRecord(main, decodeURIComponent(record[1]), ctx))
  else if (replay) setScreen(mountReplay(main, decodeURIComponent(replay[1]), ctx, { projector: Boolean(replay[2]) }))
  else if (admin) setScreen(mountAdmin(main, admin[1], ctx))
  else if (opinion && opinion[1] && opinion[1] !== 'new') setScreen(mountOpinion(main, decodeURIComponent(opinion[1]), ctx))
  else if (opinion) setScreen(mountOpinions(main, ctx, { creating: opinion[1] === 'new' }))
  else if (location.hash.startsWith('#/account')) setScreen(mountAccount(main, ctx))
  else if (tasksOf) setScreen(mountTasksFromNotice(main, decodeURIComponent(tasksOf[1]), ctx))
  else if (task) setScreen(mountTask(main, task[1], ctx))
  else if (/^#\/tasks\b/.test(location.hash)) setScreen(mountTasks(main, ctx))
  else setScreen(mountMeetings(main, ctx))
  main.focus({ preventScroll: true })
}

function takeNotice() {
  try {
    const notice = sessionStorage.getItem(NOTICE_KEY)
    sessionStorage.removeItem(NOTICE_KEY)
    return notice ?? undefined
  } catch {
    return undefined
  }
}

setLang(getLang(), { persist: false })
onLangChange(renderHeader)
markEntry()
window.addEventListener('hashchange', () => {
  markEntry()
  if (app.user) route()
})
route()
