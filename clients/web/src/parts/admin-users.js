// Users of the admin's body: search, create (with a password the server
// makes, or one the admin sets), roles of the body (can_prepare, admin),
// unit, reset password, deactivate and reactivate. Display accounts are
// managed with their rooms (admin-rooms.js).

import { h, replaceContent } from '../../../shared/dom.js'
import { adminUsers, createUser, updateUser, makePassword, listUnits } from '../../../shared/api.js'
import { t } from '../../../shared/i18n/index.js'
import { actions, adminError, noticeLine, madePassword, field, confirmDeactivate } from './admin-common.js'
import { confirmDialog } from '../../../shared/confirm.js'
import { createNotifySettings } from './notify-settings.js'

export function createUsersAdmin(ctx) {
  const state = { users: null, units: [], notice: null, made: null, inactive: true, setting: null, notifying: null }
  // The person's notification addresses, kept across renders while open.
  const notifyForms = new Map()
  const el = h('section', { class: 'panel admin-users', 'aria-labelledby': 'a-users' })
  const q = h('input', { id: 'a-user-q', 'data-key': 'a-user-q', type: 'search', autocomplete: 'off' })
  const form = {
    username: h('input', { id: 'a-new-username', 'data-key': 'a-new-username', autocomplete: 'off', required: true, maxlength: 100 }),
    full_name: h('input', { id: 'a-new-full_name', 'data-key': 'a-new-full_name', autocomplete: 'off', required: true, maxlength: 200 }),
    title: h('input', { id: 'a-new-title', 'data-key': 'a-new-title', autocomplete: 'off', maxlength: 200 }),
    unit: h('select', { id: 'a-new-unit', 'data-key': 'a-new-unit' }),
    password: h('input', { id: 'a-new-password', 'data-key': 'a-new-password', type: 'password', autocomplete: 'new-password' }),
    can_prepare: h('input', { id: 'a-new-can_prepare', 'data-key': 'a-new-can_prepare', type: 'checkbox' }),
    is_admin: h('input', { id: 'a-new-is_admin', 'data-key': 'a-new-is_admin', type: 'checkbox' }),
  }
  const setPassword = h('input', { id: 'a-set-password', 'data-key': 'a-set-password', type: 'password', autocomplete: 'new-password' })

  async function load() {
    try {
      const [users, units] = await Promise.all([adminUsers(q.value.trim(), state.inactive), listUnits()])
      state.users = (users.users ?? []).filter((u) => u.room_id === null || u.room_id === undefined)
      state.units = units.units ?? []
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: adminError(err) }
    }
    render()
  }
  const run = actions(ctx, state, load)

  async function create(e) {
    e.preventDefault()
    const fields = {
      username: form.username.value.trim(),
      full_name: form.full_name.value.trim(),
      title: form.title.value.trim(),
      unit: form.unit.value,
      can_prepare: form.can_prepare.checked,
      is_admin: form.is_admin.checked,
    }
    if (form.password.value) fields.password = form.password.value
    const done = await run(() => createUser(fields), t('admin.users.created', { name: fields.full_name }))
    if (!done) return
    for (const name of ['username', 'full_name', 'title', 'password']) form[name].value = ''
    form.can_prepare.checked = form.is_admin.checked = false
    showMade(done.password ? { name: fields.full_name, password: done.password } : null)
  }

  async function reset(u) {
    const done = await run(() => makePassword(u.id), t('admin.users.resetDone', { name: u.full_name }))
    if (done) showMade({ name: u.full_name, password: done.password })
  }

  async function setOwn(e, u) {
    e.preventDefault()
    const ok = await run(() => updateUser(u.id, { password: setPassword.value }), t('admin.users.setDone', { name: u.full_name }))
    if (ok) {
      setPassword.value = ''
      state.setting = null
      render()
    }
  }

  const toggle = (u, name) =>
    h('input', {
      type: 'checkbox',
      id: `a-${name}-${u.id}`,
      'data-key': `a-${name}-${u.id}`,
      checked: Boolean(u[name]),
      // Nobody takes their own admin right (the server refuses it too).
      disabled: !u.is_active || (name === 'is_admin' && u.id === ctx.user?.id),
      onchange: async (e) => {
        const on = e.target.checked
        // Making someone an admin gives the whole body: asked first.
        if (name === 'is_admin' && on) {
          const yes = await confirmDialog({ title: t('confirm.grantAdminTitle', { name: u.full_name }), body: t('confirm.grantAdminBody', { name: u.full_name }), confirm: t('confirm.grantAdminYes') })
          if (!yes) {
            e.target.checked = false
            return
          }
        }
        run(() => updateUser(u.id, { [name]: on }), t('admin.users.saved', { name: u.full_name }))
      },
    })

  function unitOptions(select, value) {
    const names = state.units.map((x) => x.name)
    if (value && !names.includes(value)) names.push(value)
    select.replaceChildren(h('option', { value: '' }, t('admin.users.noUnit')), ...names.map((n) => h('option', { value: n, selected: n === value }, n)))
    select.value = value ?? ''
    return select
  }

  function row(u) {
    const unitSelect = unitOptions(h('select', { id: `a-unit-${u.id}`, 'data-key': `a-unit-${u.id}`, disabled: !u.is_active, onchange: (e) => run(() => updateUser(u.id, { unit: e.target.value }), t('admin.users.saved', { name: u.full_name })) }), u.unit)
    return h(
      'tr',
      { 'data-user': u.id, class: u.is_active ? null : 'inactive' },
      h('th', { scope: 'row' }, u.full_name, h('span', { class: 'meta small' }, ` · ${u.username}`, u.title ? ` · ${u.title}` : '')),
      h('td', {}, h('label', { class: 'visually-hidden', for: `a-unit-${u.id}` }, t('admin.users.unitOf', { name: u.full_name })), unitSelect),
      h('td', {}, h('label', { class: 'check' }, toggle(u, 'can_prepare'), h('span', { class: 'visually-hidden' }, `${t('admin.users.canPrepare')}: ${u.full_name}`))),
      h('td', {}, h('label', { class: 'check' }, toggle(u, 'is_admin'), h('span', { class: 'visually-hidden' }, `${t('admin.users.isAdmin')}: ${u.full_name}`))),
      h('td', {}, u.is_active ? t('admin.users.active') : h('span', { class: 'tag' }, t('admin.users.inactive'))),
      h('td', {}, h('div', { class: 'row-actions' }, actionsFor(u))),
    )
  }

  function actionsFor(u) {
    if (u.id === ctx.user?.id) return h('span', { class: 'meta small' }, t('admin.users.you'))
    if (!u.is_active) {
      return h('button', { type: 'button', 'data-key': `a-reactivate-${u.id}`, onclick: () => run(() => updateUser(u.id, { is_active: true }), t('admin.users.reactivated', { name: u.full_name })) }, t('admin.users.reactivate'))
    }
    return [
      h('button', { type: 'button', 'data-key': `a-reset-${u.id}`, onclick: () => reset(u) }, t('admin.users.reset')),
      h('button', { type: 'button', 'data-key': `a-set-${u.id}`, onclick: () => { state.setting = u.id; render(); setPassword.focus() } }, t('admin.users.set')),
      h('button', { type: 'button', class: 'danger', 'data-key': `a-deactivate-${u.id}`, onclick: () => confirmDeactivate(u, run) }, t('admin.users.deactivate')),
      h('button', { type: 'button', 'data-key': `a-notify-${u.id}`, 'aria-expanded': state.notifying === u.id ? 'true' : 'false', onclick: () => { state.notifying = state.notifying === u.id ? null : u.id; render() } }, t('notify.title')),
      state.notifying === u.id ? notifyFor(u).el : null,
      state.setting === u.id
        ? h(
            'form',
            { class: 'row tight', onsubmit: (e) => setOwn(e, u) },
            h('label', { for: 'a-set-password' }, t('admin.users.newPassword')),
            setPassword,
            h('button', { type: 'submit', class: 'primary', 'data-key': 'a-set-save' }, t('admin.save')),
          )
        : null,
    ]
  }

  function notifyFor(u) {
    if (!notifyForms.has(u.id)) notifyForms.set(u.id, createNotifySettings(ctx, u))
    return notifyForms.get(u.id)
  }

  // The password is shown once, at the top of the panel: bring it into view.
  function showMade(made) {
    state.made = made
    render()
    el.querySelector('.made-password')?.scrollIntoView({ block: 'center' })
  }

  function render() {
    replaceContent(
      el,
      h('h2', { id: 'a-users' }, t('admin.users.title')),
      h(
        'form',
        { class: 'row', role: 'search', onsubmit: (e) => { e.preventDefault(); load() } },
        h('label', { for: 'a-user-q' }, t('admin.users.search')),
        q,
        h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-key': 'a-inactive', checked: state.inactive, onchange: (e) => { state.inactive = e.target.checked; load() } }), t('admin.users.showInactive')),
        h('button', { type: 'submit', 'data-key': 'a-user-find' }, t('search.go')),
      ),
      madePassword(state.made, () => { state.made = null; render() }),
      noticeLine(state.notice),
      state.users === null
        ? h('p', { role: 'status' }, t('app.loading'))
        : state.users.length
          ? h(
              'table',
              { class: 'people admin-table' },
              h('thead', {}, h('tr', {}, ['admin.users.name', 'admin.users.unit', 'admin.users.prepare', 'admin.users.admin', 'admin.users.status', 'admin.users.actions'].map((k) => h('th', { scope: 'col' }, t(k))))),
              h('tbody', {}, state.users.map(row)),
            )
          : h('p', { class: 'meta' }, t('admin.users.none')),
      h(
        'form',
        { class: 'admin-form', onsubmit: create },
        h('h3', {}, t('admin.users.new')),
        h(
          'div',
          { class: 'row' },
          field('a-new-username', t('admin.users.username'), form.username, t('admin.users.usernameHint')),
          field('a-new-full_name', t('admin.users.fullName'), form.full_name),
          field('a-new-title', t('admin.users.jobTitle'), form.title),
          field('a-new-unit', t('admin.users.unit'), unitOptions(form.unit, form.unit.value)),
        ),
        h(
          'div',
          { class: 'row' },
          field('a-new-password', t('admin.users.password'), form.password, t('admin.users.passwordHint')),
          h('label', { class: 'check' }, form.can_prepare, t('admin.users.canPrepare')),
          h('label', { class: 'check' }, form.is_admin, t('admin.users.isAdmin')),
          h('button', { type: 'submit', class: 'primary', 'data-key': 'a-new-create' }, t('admin.users.create')),
        ),
      ),
    )
  }

  render()
  load()
  return { el, render, destroy() {} }
}
