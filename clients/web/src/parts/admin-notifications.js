// The outbox of the body's people, for the body's admin: what waits, what
// failed and why, what was sent; a failed or waiting one can be sent again
// now. Subjects and states only: the server never sends an address or a text.

import { h, replaceContent } from '../../../shared/dom.js'
import { listNotifications, retryNotification } from '../../../shared/api.js'
import { t } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'
import { actions, adminError, noticeLine } from './admin-common.js'

const STATES = ['pending', 'failed', 'sent', 'cancelled']

export function createNotificationsAdmin(ctx) {
  const state = { filter: 'pending', rows: null, counts: null, notice: null }
  const el = h('section', { class: 'panel admin-notifications', 'aria-labelledby': 'a-notify' })

  async function load() {
    try {
      const data = await listNotifications(state.filter)
      state.rows = data.notifications ?? []
      state.counts = data.counts ?? {}
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: adminError(err) }
    }
    render()
  }
  const run = actions(ctx, state, load)

  function choose(filter) {
    state.filter = filter
    state.rows = null
    state.notice = null
    render()
    load()
  }

  function item(n) {
    const when =
      n.state === 'sent'
        ? t('admin.notify.sentAt', { when: formatDateTime(n.sent_at) })
        : n.state === 'pending'
          ? t('admin.notify.nextAt', { when: formatDateTime(n.next_attempt_at > n.not_before ? n.next_attempt_at : n.not_before) })
          : t('admin.notify.createdAt', { when: formatDateTime(n.created_at) })
    return h(
      'li',
      { 'data-notification': n.id, class: `notify-row ${n.state}` },
      h(
        'div',
        { class: 'grow' },
        h('strong', { class: 'notify-subject' }, n.subject),
        h('p', { class: 'meta small' }, [t('admin.notify.to', { name: n.full_name }), t(`admin.notify.channel.${n.channel}`), t('admin.notify.attempts', { count: n.attempts }), when].join(' · ')),
        n.last_error && n.state !== 'sent' ? h('p', { class: 'meta small notify-error', 'data-key': 'n-error' }, n.last_error) : null,
      ),
      h('span', { class: `tag notify-state ${n.state}` }, t(`admin.notify.badge.${n.state}`)),
      n.state === 'pending' || n.state === 'failed'
        ? h('button', { type: 'button', 'data-key': `n-retry-${n.id}`, onclick: () => run(() => retryNotification(n.id), t('admin.notify.retried')) }, t('admin.notify.retry'))
        : null,
    )
  }

  function render() {
    replaceContent(
      el,
      h('h2', { id: 'a-notify' }, t('admin.notify.title')),
      h('p', { class: 'meta small' }, t('admin.notify.hint')),
      h(
        'div',
        { class: 'row notify-filters', role: 'group', 'aria-label': t('admin.notify.title') },
        STATES.map((s) =>
          h('button', { type: 'button', 'data-key': `n-filter-${s}`, 'aria-pressed': state.filter === s ? 'true' : 'false', onclick: () => choose(s) }, t(`admin.notify.state.${s}`, { count: state.counts?.[s] ?? 0 })),
        ),
      ),
      noticeLine(state.notice),
      state.rows === null
        ? h('p', { role: 'status' }, t('app.loading'))
        : state.rows.length
          ? h('ul', { class: 'edit-list notify-list' }, state.rows.map(item))
          : h('p', { class: 'meta', 'data-key': 'n-empty' }, t('admin.notify.empty')),
    )
  }

  render()
  load()
  return { el, render, destroy() {} }
}
