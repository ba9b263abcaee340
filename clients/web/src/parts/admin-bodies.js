// The bodies of the installation, for the site admin only (users.is_site_admin,
// set by the operator): the list, and a new body with its first admin, whose
// password the server makes and shows once. The site admin sees no people or
// meetings of the bodies it creates; their own admin runs them.

import { h, replaceContent } from '../../../shared/dom.js'
import { listBodies, createBody } from '../../../shared/api.js'
import { t } from '../../../shared/i18n/index.js'
import { actions, adminError, noticeLine, madePassword, field } from './admin-common.js'

const FIELDS = [
  ['name', 300, 'admin.bodies.name'],
  ['code', 50, 'admin.bodies.code', 'admin.bodies.codeHint'],
  ['place', 100, 'admin.bodies.place'],
  ['admin_username', 100, 'admin.bodies.adminUsername', 'admin.users.usernameHint'],
  ['admin_full_name', 200, 'admin.bodies.adminFullName'],
  ['admin_title', 200, 'admin.bodies.adminTitle'],
]

export function createBodiesAdmin(ctx) {
  const state = { bodies: null, notice: null, made: null }
  const el = h('section', { class: 'panel admin-bodies', 'aria-labelledby': 'a-bodies' })
  const inputs = Object.fromEntries(FIELDS.map(([name, max]) => [name, h('input', { id: `a-body-new-${name}`, 'data-key': `a-body-new-${name}`, maxlength: max, autocomplete: 'off' })]))

  async function load() {
    try {
      state.bodies = (await listBodies()).bodies ?? []
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: adminError(err) }
    }
    render()
  }
  const run = actions(ctx, state, load)

  async function create(e) {
    e.preventDefault()
    const fields = Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, input.value.trim()]))
    const done = await run(() => createBody(fields), (r) => t('admin.bodies.created', { name: fields.name, username: r.admin.username }))
    if (!done) return
    for (const input of Object.values(inputs)) input.value = ''
    state.made = { name: fields.admin_full_name, password: done.admin.password }
    render()
    el.querySelector('.made-password')?.scrollIntoView({ block: 'center' })
  }

  function render() {
    replaceContent(
      el,
      h('h2', { id: 'a-bodies' }, t('admin.bodies.title')),
      h('p', { class: 'meta small' }, t('admin.bodies.hint')),
      madePassword(state.made, () => { state.made = null; render() }),
      noticeLine(state.notice),
      state.bodies === null
        ? h('p', { role: 'status' }, t('app.loading'))
        : state.bodies.length
          ? h(
              'table',
              { class: 'people admin-table' },
              h('thead', {}, h('tr', {}, ['admin.bodies.name', 'admin.bodies.code', 'admin.bodies.place', 'admin.bodies.people', 'admin.bodies.admins'].map((k) => h('th', { scope: 'col' }, t(k))))),
              h('tbody', {}, state.bodies.map((b) => h('tr', { 'data-body': b.id }, h('th', { scope: 'row' }, b.name), h('td', {}, b.code), h('td', {}, b.place), h('td', {}, String(b.people)), h('td', {}, String(b.admins))))),
            )
          : h('p', { class: 'meta' }, t('admin.bodies.none')),
      h(
        'form',
        { class: 'admin-form', onsubmit: create },
        h('h3', {}, t('admin.bodies.new')),
        h('div', { class: 'row' }, FIELDS.slice(0, 3).map(([name, , label, hint]) => field(`a-body-new-${name}`, t(label), inputs[name], hint ? t(hint) : null))),
        h('div', { class: 'row' }, FIELDS.slice(3).map(([name, , label, hint]) => field(`a-body-new-${name}`, t(label), inputs[name], hint ? t(hint) : null)),
          h('button', { type: 'submit', class: 'primary', 'data-key': 'a-body-create' }, t('admin.bodies.create'))),
      ),
    )
  }

  render()
  load()
  return { el, render, destroy() {} }
}
