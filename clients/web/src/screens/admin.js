// Administration of the admin's body: one tab each for users, the body and
// its units, rooms and displays, holidays, saved groups and retention; and
// for a site admin (users.is_site_admin) the bodies of the installation.
//   #/admin[/users|body|rooms|holidays|groups|retention|notifications|bodies]
// Admins only; the server checks every call as well (docs/authorization.md).

import { h } from '../../../shared/dom.js'
import { t, onLangChange } from '../../../shared/i18n/index.js'
import { createUsersAdmin } from '../parts/admin-users.js'
import { createBodyAdmin } from '../parts/admin-body.js'
import { createRoomsAdmin } from '../parts/admin-rooms.js'
import { createHolidaysAdmin } from '../parts/admin-holidays.js'
import { createGroupsAdmin } from '../parts/admin-groups.js'
import { createRetentionAdmin } from '../parts/admin-retention.js'
import { createBodiesAdmin } from '../parts/admin-bodies.js'
import { createNotificationsAdmin } from '../parts/admin-notifications.js'

const TABS = {
  users: createUsersAdmin,
  body: createBodyAdmin,
  rooms: createRoomsAdmin,
  holidays: createHolidaysAdmin,
  groups: createGroupsAdmin,
  retention: createRetentionAdmin,
  notifications: createNotificationsAdmin,
}
// Only the site admin creates bodies (collab_server/transport/bodies.py).
const SITE_TABS = { bodies: createBodiesAdmin }

export function mountAdmin(root, tab, ctx) {
  if (!ctx.user?.is_admin) {
    root.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('admin.only')))
    return { destroy() {} }
  }
  const tabs = ctx.user.is_site_admin ? { ...TABS, ...SITE_TABS } : TABS
  const current = tabs[tab] ? tab : 'users'
  const part = tabs[current](ctx)
  const title = h('h1', {})
  const nav = h('nav', { class: 'tabs admin-tabs', 'aria-label': t('admin.title') })

  function render() {
    document.title = `${t('admin.title')} – ${t('app.name')}`
    title.textContent = t('admin.title')
    nav.setAttribute('aria-label', t('admin.title'))
    nav.replaceChildren(
      ...Object.keys(tabs).map((name) =>
        h('a', { href: `#/admin/${name}`, role: 'tab', class: 'button', 'data-key': `tab-${name}`, 'aria-selected': name === current ? 'true' : 'false', 'aria-current': name === current ? 'page' : null }, t(`admin.tab.${name}`)),
      ),
    )
    part.render()
  }

  root.replaceChildren(h('div', { class: 'admin' }, title, nav, part.el))
  render()
  const unsubscribe = onLangChange(render)
  return {
    destroy() {
      unsubscribe()
      part.destroy()
    },
  }
}
