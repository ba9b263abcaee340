// The caller's meetings, each a link to its live view.

import { h, replaceContent } from '../../../shared/dom.js'
import { listMeetings } from '../../../shared/api.js'
import { t, errorMessage, label, onLangChange } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'

export function mountMeetings(root, ctx) {
  const state = { meetings: null, error: null }
  let alive = true

  async function load() {
    state.error = null
    render()
    try {
      const data = await listMeetings()
      state.meetings = data.meetings ?? []
    } catch (err) {
      if (err.status === 401) return alive && ctx.unauthorized()
      state.error = err
    }
    if (alive) render()
  }

  const mayPrepare = (meeting) => ['secretary', 'chair'].includes(meeting.role) || ctx.user?.is_admin

  function card(meeting) {
    const where = [meeting.body, meeting.room].filter(Boolean).join(' · ')
    return h(
      'li',
      { class: 'meeting-item' },
      h(
        'a',
        {
          class: 'meeting-card',
          href: `#/meeting/${encodeURIComponent(meeting.id)}`,
          'data-key': `meeting-${meeting.id}`,
        },
        h('span', { class: 'meeting-title' }, meeting.title),
        h('span', { class: 'meeting-when' }, formatDateTime(meeting.starts_at)),
        where ? h('span', { class: 'meeting-where' }, where) : null,
        h(
          'span',
          { class: 'meeting-tags' },
          meeting.status ? h('span', { class: `tag status-${meeting.status}` }, label('status', meeting.status)) : null,
          meeting.role ? h('span', { class: 'tag' }, t('meetings.role', { role: label('role', meeting.role) })) : null,
        ),
      ),
      mayPrepare(meeting)
        ? h('a', { class: 'button prepare-link', href: `#/prepare/${encodeURIComponent(meeting.id)}`, 'data-key': `prepare-${meeting.id}` }, t('prepare.link'))
        : null,
    )
  }

  function body() {
    if (state.error) {
      return [
        h('p', { class: 'error', role: 'alert' }, errorMessage(state.error)),
        h('button', { type: 'button', 'data-key': 'retry', onclick: load }, t('app.retry')),
      ]
    }
    if (state.meetings === null) return h('p', { role: 'status' }, t('app.loading'))
    if (state.meetings.length === 0) return h('p', {}, t('meetings.empty'))
    return h('ul', { class: 'meeting-list' }, state.meetings.map(card))
  }

  function render() {
    document.title = `${t('meetings.title')} – ${t('app.name')}`
    replaceContent(
      root,
      h(
        'div',
        { class: 'title-row' },
        h('h1', {}, t('meetings.title')),
        ctx.user?.can_prepare || ctx.user?.is_admin
          ? h('a', { class: 'button primary-link', href: '#/prepare/new', 'data-key': 'new-meeting' }, t('prepare.newMeeting'))
          : null,
      ),
      body(),
    )
  }

  const offLang = onLangChange(render)
  load()
  return {
    destroy() {
      alive = false
      offLang()
    },
  }
}
