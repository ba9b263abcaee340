// Retention: how many years the body keeps the records of an archived
// meeting (empty: permanently), and, read-only, the archived meetings kept
// longer than that — the list of `phonghop retention` for this body. The
// records office decides on disposal; nothing is deleted from here.

import { h, replaceContent } from '../../../shared/dom.js'
import { getBody, updateBody, retentionList } from '../../../shared/api.js'
import { t } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'
import { actions, adminError, noticeLine, field } from './admin-common.js'

export function createRetentionAdmin(ctx) {
  const state = { years: null, meetings: null, notice: null }
  const el = h('section', { class: 'panel admin-retention', 'aria-labelledby': 'a-retention' })
  const years = h('input', { id: 'a-retention-years', 'data-key': 'a-retention-years', type: 'number', inputmode: 'numeric' })

  async function load() {
    try {
      const [body, list] = await Promise.all([getBody(), retentionList()])
      const first = state.meetings === null // later loads keep what was typed
      state.years = body.body?.retention_years ?? null
      state.meetings = list.meetings ?? []
      if (first) years.value = state.years === null ? '' : String(state.years)
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: adminError(err) }
    }
    render()
  }
  const run = actions(ctx, state, load)

  function save(e) {
    e.preventDefault()
    const value = years.value.trim() === '' ? null : Number(years.value)
    run(() => updateBody({ retention_years: value }), value === null ? t('admin.retention.permanent') : t('admin.retention.saved', { years: value }))
  }

  function render() {
    replaceContent(
      el,
      h('h2', { id: 'a-retention' }, t('admin.retention.title')),
      h(
        'form',
        { class: 'row', onsubmit: save },
        field('a-retention-years', t('admin.retention.years'), years, t('admin.retention.hint')),
        h('button', { type: 'submit', class: 'primary', 'data-key': 'a-retention-save' }, t('admin.save')),
      ),
      noticeLine(state.notice),
      h('h3', {}, t('admin.retention.past')),
      state.meetings === null
        ? h('p', { role: 'status' }, t('app.loading'))
        : state.meetings.length
          ? h(
              'ul',
              { class: 'edit-list past-retention' },
              state.meetings.map((m) => h('li', { 'data-meeting': m.id }, h('div', { class: 'grow' }, h('strong', {}, m.title), h('span', { class: 'meta' }, ` · ${t('admin.retention.archived', { when: formatDateTime(m.archived_at), years: m.retention_years })}`)))),
            )
          : h('p', { class: 'meta', 'data-key': 'a-retention-none' }, t('admin.retention.none')),
      h('p', { class: 'meta small' }, t('admin.retention.readOnly')),
    )
  }

  render()
  load()
  return { el, render, destroy() {} }
}
