// "Thông báo" on the account screen: the person's own channels (e-mail with
// a calendar file, the SMS/Zalo gateway) and their addresses. The server
// checks each field and answers in Vietnamese; its message is shown as is.

import { h, replaceContent } from '../../../shared/dom.js'
import { myNotifications, saveMyNotifications } from '../../../shared/api.js'
import { t } from '../../../shared/i18n/index.js'
import { adminError, noticeLine, field } from './admin-common.js'

export function createNotifySettings(ctx) {
  const state = { settings: null, channels: null, notice: null, busy: false }
  const el = h('section', { class: 'panel notify-settings', 'aria-labelledby': 'n-title' })
  const email = h('input', { id: 'n-email', 'data-key': 'n-email', type: 'email', autocomplete: 'email', inputmode: 'email', maxlength: 254 })
  const phone = h('input', { id: 'n-phone', 'data-key': 'n-phone', type: 'tel', autocomplete: 'tel', inputmode: 'tel', maxlength: 30 })
  const byEmail = h('input', { id: 'n-by-email', 'data-key': 'n-by-email', type: 'checkbox' })
  const byGateway = h('input', { id: 'n-by-gateway', 'data-key': 'n-by-gateway', type: 'checkbox' })

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
      fill(await myNotifications())
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
      fill(await saveMyNotifications({ email: email.value, phone: phone.value, by_email: byEmail.checked, by_gateway: byGateway.checked }))
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
    if (!(s.by_email && s.email) && !(s.by_gateway && s.phone)) out.push(t('notify.none'))
    return out.map((text) => h('p', { class: 'meta small notify-warning', 'data-key': 'n-warning' }, text))
  }

  function render() {
    replaceContent(
      el,
      h('h2', { id: 'n-title' }, t('notify.title')),
      h('p', { class: 'meta small' }, t('notify.hint')),
      state.settings === null && state.notice === null
        ? h('p', { role: 'status' }, t('app.loading'))
        : h(
            'form',
            { class: 'notify-form', novalidate: true, onsubmit: save },
            field('n-email', t('notify.email'), email),
            check(byEmail, t('notify.byEmail')),
            field('n-phone', t('notify.phone'), phone, t('notify.phoneHint')),
            check(byGateway, t('notify.byGateway')),
            h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', 'data-key': 'n-save', disabled: state.busy }, t('notify.save'))),
          ),
      noticeLine(state.notice),
      ...warnings(),
    )
  }

  render()
  load()
  return { el, render, destroy() {} }
}
