// The person's own account: who they are, and how they are notified.
//   #/account

import { h } from '../../../shared/dom.js'
import { t, onLangChange } from '../../../shared/i18n/index.js'
import { createNotifySettings } from '../parts/notify-settings.js'

export function mountAccount(root, ctx) {
  const title = h('h1', {})
  const who = h('p', { class: 'meta', 'data-key': 'account-who' })
  const notify = createNotifySettings(ctx)

  function render() {
    document.title = `${t('account.title')} – ${t('app.name')}`
    title.textContent = t('account.title')
    const u = ctx.user ?? {}
    who.textContent = [u.full_name, u.title, u.unit].filter(Boolean).join(' · ')
    notify.render()
  }

  root.replaceChildren(h('div', { class: 'account' }, title, who, notify.el))
  render()
  const unsubscribe = onLangChange(render)
  return {
    destroy() {
      unsubscribe()
      notify.destroy()
    },
  }
}
