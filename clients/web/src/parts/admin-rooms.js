// Rooms of the admin's body and their display accounts: create and rename a
// room, set its seats and its networks (check-in only from there); create
// the display account of a room (the server makes its password, shown
// once), move one to another room, lock it (a projector lost or replaced)
// and open it again. Only display
// accounts carry a room; people log in on any laptop of any room.
// The room's laptops (room-devices.js): the admin registers the laptop they
// use, where people invited there today sign in with a PIN.

import { h, replaceContent } from '../../../shared/dom.js'
import { listRooms, createRoom, updateRoom, createDisplay, adminUsers, updateUser } from '../../../shared/api.js'
import { t } from '../../../shared/i18n/index.js'
import { actions, adminError, noticeLine, madePassword, field, confirmDeactivate } from './admin-common.js'
import { loadDevices, devicesBlock } from './room-devices.js'

export function createRoomsAdmin(ctx) {
  const state = { rooms: null, displays: [], devices: {}, notice: null, made: null, adding: null }
  const el = h('section', { class: 'panel admin-rooms', 'aria-labelledby': 'a-rooms' })
  const newName = h('input', { id: 'a-room-name', 'data-key': 'a-room-name', maxlength: 200, autocomplete: 'off' })
  const newSeats = h('input', { id: 'a-room-seats', 'data-key': 'a-room-seats', type: 'number', min: 0, max: 10000, value: '0' })
  const dUser = h('input', { id: 'a-display-username', 'data-key': 'a-display-username', maxlength: 100, autocomplete: 'off' })
  const dName = h('input', { id: 'a-display-name', 'data-key': 'a-display-name', maxlength: 200, autocomplete: 'off' })

  async function load() {
    try {
      const [rooms, users] = await Promise.all([listRooms(), adminUsers('', true)])
      state.rooms = rooms.rooms ?? []
      state.displays = (users.users ?? []).filter((u) => u.room_id !== null && u.room_id !== undefined)
      state.devices = await loadDevices(state.rooms)
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: adminError(err) }
    }
    render()
  }
  const run = actions(ctx, state, load)

  const seatsOf = (input) => (input.value === '' ? 0 : Number(input.value))

  async function addDisplay(e, room) {
    e.preventDefault()
    const fields = { username: dUser.value.trim(), full_name: dName.value.trim() }
    const done = await run(() => createDisplay(room.id, fields), t('admin.rooms.displayCreated', { room: room.name }))
    if (done) {
      state.made = { name: fields.full_name, password: done.password }
      state.adding = null
      dUser.value = dName.value = ''
      render()
    }
  }

  function displayLine(d, room) {
    const id = `a-move-${d.id}`
    return h(
      'li',
      { 'data-display': d.id },
      h('div', { class: 'grow' }, h('strong', {}, d.full_name), h('span', { class: 'meta' }, ` · ${d.username}`), d.is_active ? null : h('span', { class: 'tag' }, t('admin.users.inactive'))),
      h('label', { for: id }, t('admin.rooms.moveTo')),
      h(
        'select',
        { id, 'data-key': id, onchange: (e) => run(() => updateUser(d.id, { room_id: Number(e.target.value) }), t('admin.rooms.moved', { name: d.full_name })) },
        state.rooms.map((r) => h('option', { value: r.id, selected: r.id === room.id }, r.name)),
      ),
      d.is_active
        ? h('button', { type: 'button', class: 'danger', 'data-key': `a-display-deactivate-${d.id}`, 'aria-label': `${t('admin.users.deactivate')}: ${d.full_name}`, onclick: () => confirmDeactivate(d, run, { display: true }) }, t('admin.users.deactivate'))
        : h('button', { type: 'button', 'data-key': `a-display-reactivate-${d.id}`, 'aria-label': `${t('admin.users.reactivate')}: ${d.full_name}`, onclick: () => run(() => updateUser(d.id, { is_active: true }), t('admin.users.reactivated', { name: d.full_name })) }, t('admin.users.reactivate')),
    )
  }

  function roomBlock(room) {
    const name = h('input', { id: `a-room-name-${room.id}`, 'data-key': `a-room-name-${room.id}`, value: room.name, maxlength: 200 })
    const seats = h('input', { id: `a-room-seats-${room.id}`, 'data-key': `a-room-seats-${room.id}`, type: 'number', min: 0, max: 10000, value: String(room.seats ?? 0) })
    // Where people check themselves in from (collab_server/domain/room_networks.py).
    const networks = h('textarea', { id: `a-room-networks-${room.id}`, 'data-key': `a-room-networks-${room.id}`, rows: 2, spellcheck: 'false', placeholder: '10.20.30.0/24' })
    networks.value = (room.networks ?? []).join('\n')
    const networkList = () => networks.value.split(/[\s,;]+/).filter(Boolean)
    const displays = state.displays.filter((d) => d.room_id === room.id)
    return h(
      'li',
      { 'data-room': room.id, 'data-name': room.name, class: 'room-block' },
      h(
        'form',
        { class: 'row tight', onsubmit: (e) => { e.preventDefault(); run(() => updateRoom(room.id, { name: name.value.trim(), seats: seatsOf(seats), networks: networkList() }), t('admin.rooms.saved', { name: name.value.trim() })) } },
        field(`a-room-name-${room.id}`, t('admin.rooms.name'), name),
        field(`a-room-seats-${room.id}`, t('admin.rooms.seats'), seats),
        field(`a-room-networks-${room.id}`, t('admin.rooms.networks'), networks, t('admin.rooms.networksHint')),
        h('button', { type: 'submit', 'data-key': `a-room-save-${room.id}` }, t('admin.save')),
      ),
      h('h4', {}, t('admin.rooms.displays')),
      displays.length ? h('ul', { class: 'edit-list' }, displays.map((d) => displayLine(d, room))) : h('p', { class: 'meta small' }, t('admin.rooms.noDisplay')),
      state.adding === room.id
        ? h(
            'form',
            { class: 'row tight', onsubmit: (e) => addDisplay(e, room) },
            field('a-display-username', t('admin.users.username'), dUser, t('admin.users.usernameHint')),
            field('a-display-name', t('admin.rooms.displayName'), dName),
            h('button', { type: 'submit', class: 'primary', 'data-key': 'a-display-create' }, t('admin.rooms.createDisplay')),
            h('button', { type: 'button', onclick: () => { state.adding = null; render() } }, t('admin.cancel')),
          )
        : h('button', { type: 'button', 'data-key': `a-display-add-${room.id}`, onclick: () => { state.adding = room.id; dName.value = dName.value || t('admin.rooms.displayDefault', { room: room.name }); render(); dUser.focus() } }, t('admin.rooms.addDisplay')),
      devicesBlock(room, state.devices[room.id] ?? [], run),
    )
  }

  function render() {
    replaceContent(
      el,
      h('h2', { id: 'a-rooms' }, t('admin.rooms.title')),
      madePassword(state.made, () => { state.made = null; render() }),
      noticeLine(state.notice),
      state.rooms === null
        ? h('p', { role: 'status' }, t('app.loading'))
        : state.rooms.length
          ? h('ul', { class: 'edit-list rooms' }, state.rooms.map(roomBlock))
          : h('p', { class: 'meta' }, t('admin.rooms.none')),
      h(
        'form',
        { class: 'row', onsubmit: async (e) => { e.preventDefault(); if (await run(() => createRoom({ name: newName.value.trim(), seats: seatsOf(newSeats) }), t('admin.rooms.created', { name: newName.value.trim() }))) { newName.value = ''; newSeats.value = '0'; render() } } },
        h('h3', { class: 'grow' }, t('admin.rooms.new')),
        field('a-room-name', t('admin.rooms.name'), newName),
        field('a-room-seats', t('admin.rooms.seats'), newSeats),
        h('button', { type: 'submit', class: 'primary', 'data-key': 'a-room-create' }, t('admin.rooms.create')),
      ),
    )
  }

  render()
  load()
  return { el, render, destroy() {} }
}
