// The admin's body: its name and the place name of its documents, and its
// units as a managed list (the unit a person is in is picked from it).
// Bodies themselves are created by the operator (`phonghop create-user
// --body-name`): an admin is the admin of one body (docs/security.md).

import { h, replaceContent } from '../../../shared/dom.js'
import { getBody, updateBody, listUnits, addUnit, renameUnit, removeUnit } from '../../../shared/api.js'
import { t } from '../../../shared/i18n/index.js'
import { actions, adminError, noticeLine, field } from './admin-common.js'

export function createBodyAdmin(ctx) {
  const state = { body: null, units: null, notice: null, renaming: null }
  const el = h('section', { class: 'panel admin-body', 'aria-labelledby': 'a-body' })
  const name = h('input', { id: 'a-body-name', 'data-key': 'a-body-name', maxlength: 300, required: true })
  const place = h('input', { id: 'a-body-place', 'data-key': 'a-body-place', maxlength: 100 })
  const unit = h('input', { id: 'a-unit-new', 'data-key': 'a-unit-new', maxlength: 200, autocomplete: 'off' })
  const rename = h('input', { id: 'a-unit-rename', 'data-key': 'a-unit-rename', maxlength: 200, autocomplete: 'off' })

  async function load() {
    try {
      const [body, units] = await Promise.all([getBody(), listUnits()])
      if (state.body === null) { // later loads keep what was typed
        name.value = body.body.name ?? ''
        place.value = body.body.place ?? ''
      }
      state.body = body.body
      state.units = units.units ?? []
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: adminError(err) }
    }
    render()
  }
  const run = actions(ctx, state, load)

  function unitRow(u) {
    if (state.renaming === u.id) {
      return h(
        'li',
        { 'data-unit': u.id },
        h(
          'form',
          { class: 'row tight grow', onsubmit: async (e) => { e.preventDefault(); if (await run(() => renameUnit(u.id, rename.value.trim()), t('admin.units.renamed'))) state.renaming = null; render() } },
          h('label', { for: 'a-unit-rename', class: 'visually-hidden' }, t('admin.units.newName')),
          rename,
          h('button', { type: 'submit', class: 'primary', 'data-key': 'a-unit-rename-save' }, t('admin.save')),
          h('button', { type: 'button', onclick: () => { state.renaming = null; render() } }, t('admin.cancel')),
        ),
      )
    }
    return h(
      'li',
      { 'data-unit': u.id },
      h('div', { class: 'grow' }, h('strong', {}, u.name), h('span', { class: 'meta' }, ` · ${t('admin.units.people', { count: u.people })}`)),
      h('button', { type: 'button', 'data-key': `a-unit-edit-${u.id}`, onclick: () => { state.renaming = u.id; rename.value = u.name; render(); rename.focus() } }, t('admin.rename')),
      h('button', { type: 'button', class: 'danger', 'data-key': `a-unit-remove-${u.id}`, onclick: () => run(() => removeUnit(u.id), t('admin.units.removed', { name: u.name })) }, t('admin.remove')),
    )
  }

  function render() {
    replaceContent(
      el,
      h('h2', { id: 'a-body' }, t('admin.body.title')),
      h('p', { class: 'meta small' }, t('admin.body.hint')),
      h(
        'form',
        { class: 'row', onsubmit: (e) => { e.preventDefault(); run(() => updateBody({ name: name.value.trim(), place: place.value.trim() }), t('admin.body.saved')) } },
        field('a-body-name', t('admin.body.name'), name),
        field('a-body-place', t('admin.body.place'), place, t('admin.body.placeHint')),
        h('button', { type: 'submit', class: 'primary', 'data-key': 'a-body-save' }, t('admin.save')),
      ),
      h('h3', {}, t('admin.units.title')),
      state.units === null
        ? h('p', { role: 'status' }, t('app.loading'))
        : state.units.length
          ? h('ul', { class: 'edit-list units' }, state.units.map(unitRow))
          : h('p', { class: 'meta' }, t('admin.units.none')),
      h(
        'form',
        { class: 'row', onsubmit: async (e) => { e.preventDefault(); if (await run(() => addUnit(unit.value.trim()), t('admin.units.added', { name: unit.value.trim() }))) { unit.value = ''; render() } } },
        field('a-unit-new', t('admin.units.new'), unit),
        h('button', { type: 'submit', class: 'primary', 'data-key': 'a-unit-add' }, t('admin.add')),
      ),
      noticeLine(state.notice),
    )
  }

  render()
  load()
  return { el, render, destroy() {} }
}
