// Saved groups of attendees: named lists of people of the body. The admin
// keeps them here; whoever prepares a meeting adds a group in one go from the
// people picker (prep-people.js).

import { h, replaceContent } from '../../../shared/dom.js'
import { listGroups, createGroup, updateGroup, removeGroup, adminUsers } from '../../../shared/api.js'
import { t } from '../../../shared/i18n/index.js'
import { actions, adminError, noticeLine, field } from './admin-common.js'

export function createGroupsAdmin(ctx) {
  const state = { groups: null, people: [], notice: null, open: null, picked: new Set() }
  const el = h('section', { class: 'panel admin-groups', 'aria-labelledby': 'a-groups' })
  const newName = h('input', { id: 'a-group-name', 'data-key': 'a-group-name', maxlength: 200, autocomplete: 'off' })
  const rename = h('input', { id: 'a-group-rename', 'data-key': 'a-group-rename', maxlength: 200, autocomplete: 'off' })

  async function load() {
    try {
      const [groups, users] = await Promise.all([listGroups(), adminUsers('', false)])
      state.groups = groups.groups ?? []
      state.people = (users.users ?? []).filter((u) => u.room_id === null || u.room_id === undefined)
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: adminError(err) }
    }
    render()
  }
  const run = actions(ctx, state, load)

  function open(g) {
    state.open = g.id
    state.picked = new Set(g.members)
    rename.value = g.name
    render()
  }

  function editor(g) {
    return h(
      'form',
      { class: 'group-editor', onsubmit: (e) => { e.preventDefault(); run(() => updateGroup(g.id, { name: rename.value.trim(), members: [...state.picked] }), t('admin.groups.saved', { name: rename.value.trim() })) } },
      field('a-group-rename', t('admin.groups.name'), rename),
      h(
        'fieldset',
        {},
        h('legend', {}, t('admin.groups.members', { count: state.picked.size })),
        h(
          'ul',
          { class: 'member-picks' },
          state.people.map((p) =>
            h(
              'li',
              {},
              h(
                'label',
                { class: 'check' },
                h('input', { type: 'checkbox', 'data-key': `a-member-${p.id}`, 'data-member': p.id, checked: state.picked.has(p.id), onchange: (e) => { if (e.target.checked) state.picked.add(p.id); else state.picked.delete(p.id) } }),
                p.full_name,
                h('span', { class: 'meta small' }, [p.title, p.unit].filter(Boolean).map((x) => ` · ${x}`).join('')),
              ),
            ),
          ),
        ),
      ),
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'submit', class: 'primary', 'data-key': 'a-group-save' }, t('admin.save')),
        h('button', { type: 'button', onclick: () => { state.open = null; render() } }, t('admin.close')),
        h('button', { type: 'button', class: 'danger', 'data-key': 'a-group-remove', onclick: async () => { if (await run(() => removeGroup(g.id), t('admin.groups.removed', { name: g.name }))) { state.open = null; render() } } }, t('admin.remove')),
      ),
    )
  }

  function render() {
    const groups = state.groups ?? []
    replaceContent(
      el,
      h('h2', { id: 'a-groups' }, t('admin.groups.title')),
      h('p', { class: 'meta small' }, t('admin.groups.hint')),
      noticeLine(state.notice),
      state.groups === null
        ? h('p', { role: 'status' }, t('app.loading'))
        : groups.length
          ? h(
              'ul',
              { class: 'edit-list groups' },
              groups.map((g) =>
                h(
                  'li',
                  { 'data-group': g.id },
                  h('div', { class: 'grow' }, h('strong', {}, g.name), h('span', { class: 'meta' }, ` · ${t('admin.groups.size', { count: g.size })}`)),
                  state.open === g.id ? null : h('button', { type: 'button', 'data-key': `a-group-open-${g.id}`, onclick: () => open(g) }, t('admin.groups.edit')),
                  state.open === g.id ? editor(g) : null,
                ),
              ),
            )
          : h('p', { class: 'meta' }, t('admin.groups.none')),
      h(
        'form',
        { class: 'row', onsubmit: async (e) => { e.preventDefault(); const name = newName.value.trim(); const done = await run(() => createGroup({ name, members: [] }), t('admin.groups.created', { name })); if (done) { newName.value = ''; const g = state.groups.find((x) => x.id === done.id); if (g) open(g) } } },
        field('a-group-name', t('admin.groups.new'), newName),
        h('button', { type: 'submit', class: 'primary', 'data-key': 'a-group-create' }, t('admin.groups.create')),
      ),
    )
  }

  render()
  load()
  return { el, render, destroy() {} }
}
