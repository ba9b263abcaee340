// The laptops of one room, in the rooms tab of the admin screen: register
// the laptop the admin is using (its token goes into an HttpOnly cookie the
// page never reads), see the room's laptops and revoke one. On a registered
// laptop, people invited to a meeting in the room today sign in with a PIN
// (docs/operations.md "The room's laptops").

import { h } from '../../../shared/dom.js'
import { roomDevices, registerDevice, revokeDevice } from '../../../shared/api.js'
import { t } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'
import { field } from './admin-common.js'

/** {roomId: devices} for the rooms listed. */
export async function loadDevices(rooms) {
  const lists = await Promise.all(rooms.map((r) => roomDevices(r.id).then((d) => d.devices ?? [])))
  return Object.fromEntries(rooms.map((r, i) => [r.id, lists[i]]))
}

function deviceLine(room, d, run) {
  return h(
    'li',
    { 'data-device': d.id },
    h(
      'div',
      { class: 'grow' },
      h('strong', {}, d.name),
      d.this ? h('span', { class: 'tag', 'data-key': `a-device-this-${d.id}` }, t('admin.devices.this')) : null,
      d.revoked_at ? h('span', { class: 'tag' }, t('admin.devices.revoked')) : null,
      h('span', { class: 'meta small' }, ` · ${t('admin.devices.registered', { who: d.registered_by || '—', when: formatDateTime(d.registered_at) })}`),
      d.last_used_at ? h('span', { class: 'meta small' }, ` · ${t('admin.devices.used', { when: formatDateTime(d.last_used_at) })}`) : null,
    ),
    d.revoked_at
      ? null
      : h('button', { type: 'button', class: 'danger', 'data-key': `a-device-revoke-${d.id}`, 'aria-label': `${t('admin.devices.revoke')}: ${d.name}`, onclick: () => run(() => revokeDevice(room.id, d.id), t('admin.devices.revokedOk', { name: d.name })) }, t('admin.devices.revoke')),
  )
}

export function devicesBlock(room, devices, run) {
  const id = `a-device-name-${room.id}`
  const name = h('input', { id, 'data-key': id, maxlength: 100, autocomplete: 'off', placeholder: t('admin.devices.namePlaceholder') })
  const live = devices.filter((d) => !d.revoked_at)
  return h(
    'div',
    { class: 'room-devices' },
    h('h4', {}, t('admin.devices.title')),
    h('p', { class: 'meta small' }, t('admin.devices.hint')),
    devices.length ? h('ul', { class: 'edit-list' }, devices.map((d) => deviceLine(room, d, run))) : h('p', { class: 'meta small' }, t('admin.devices.none')),
    live.some((d) => d.this) ? null : h(
      'form',
      { class: 'row tight', onsubmit: (e) => { e.preventDefault(); const text = name.value.trim(); run(() => registerDevice(room.id, text), t('admin.devices.registeredOk', { name: text, room: room.name })) } },
      field(id, t('admin.devices.name'), name),
      h('button', { type: 'submit', 'data-key': `a-device-register-${room.id}` }, t('admin.devices.register')),
    ),
  )
}
