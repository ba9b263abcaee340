// "Thông báo" on the account screen: the person's own channels (e-mail with
// a calendar file, the SMS/Zalo gateway) and their addresses. The server
// checks each field and answers in Vietnamese; its message is shown as is.
// With `person` ({id, full_name}), the same form for a body's admin setting
// one of their people's (admin-users.js).

import { h, replaceContent } from '../../../shared/dom.js'
import { myNotifications, saveMyNotifications, personNotifications, savePersonNotifications } from '../../../shared/api.js'
import { t } from '../../../shared/i18n/index.js'
import { adminError, noticeLine, field } from './admin-common.js'

export function createNotifySettings(ctx, person = null) {
  const state = { settings: null, channels: null, notice: null, busy: false }
  const p = person ? `n-${person.id}-` : 'n-'
  const fetchSettings = person ? () => personNotifications(person.id) : myNotifications
  const store = person ? (fields) => savePersonNotifications(person.id, fields) : saveMyNotifications
  const el = h(person ? 'div' : 'section', { class: person ? 'notify-settings person' : 'panel notify-settings', 'aria-labelledby': `${p}title` })
  const email = h('input', { id: `${p}email`, 'data-key': `${p}email`, type: 'email', autocomplete: person ? 'off' : 'email', inputmode: 'email', maxlength: 254 })
  const phone = h('input', { id: `${p}phone`, 'data-key': `${p}phone`, type: 'tel', autocomplete: person ? 'off' : 'tel', inputmode: 'tel', maxlength: 30 })
  const byEmail = h('input', { id: `${p}by-email`, 'data-key': `${p}by-email`, type: 'checkbox' })
  const byGateway = h('input', { id: `${p}by-gateway`, 'data-key': `${p}by-gateway`, type: 'checkbox' })

  function fill(data) {
    state.settings = data.settings
    state.channels = data.channels
    email.value = data.settings.email
    phone.value = data.settings.phone
    byEmail.checked = data.settings.by_email
    byGateway.checked = data.settings.by_gateway
  }

  async function load() {
    try {
      fill(await fetchSettings())
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: adminError(err) }
    }
    render()
  }

  async function save(e) {
    e.preventDefault()
    if (state.busy) return
    state.busy = true
    state.notice = null
    render()
    try {
      fill(await store({ email: email.value, phone: phone.value, by_email: byEmail.checked, by_gateway: byGateway.checked }))
      state.notice = { kind: 'ok', text: t('notify.saved') }
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      // What was typed stays for a correction.
      state.notice = { kind: 'error', text: adminError(err) }
    }
    state.busy = false
    render()
  }

  const check = (input, label) => h('label', { class: 'check', for: input.id }, input, ' ', label)

  function warnings() {
    const s = state.settings
    const c = state.channels
    if (!s || !c) return []
    const out = []
    if (s.by_email && !c.email) out.push(t('notify.emailOff'))
    if (s.by_gateway && !c.gateway) out.push(t('notify.gatewayOff'))
    if (!(s.by_email && s.email) && !(s.by_gateway && s.phone)) out.push(t(person ? 'notify.noneFor' : 'notify.none'))
    return out.map((text) => h('p', { class: 'meta small notify-warning', 'data-key': `${p}warning` }, text))
  }

  function render() {
    replaceContent(
      el,
      person ? h('h3', { id: `${p}title` }, t('notify.titleFor', { name: person.full_name })) : h('h2', { id: `${p}title` }, t('notify.title')),
      person ? null : h('p', { class: 'meta small' }, t('notify.hint')),
      state.settings === null && state.notice === null
        ? h('p', { role: 'status' }, t('app.loading'))
        : h(
            'form',
            { class: 'notify-form', novalidate: true, onsubmit: save },
            field(`${p}email`, t('notify.email'), email),
            check(byEmail, t('notify.byEmail')),
            field(`${p}phone`, t('notify.phone'), phone, t('notify.phoneHint')),
            check(byGateway, t('notify.byGateway')),
            h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', 'data-key': `${p}save`, disabled: state.busy }, t('notify.save'))),
          ),
      noticeLine(state.notice),
      ...warnings(),
    )
  }

  render()
  load()
  return { el, render, destroy() {} }
}
