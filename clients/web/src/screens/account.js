// The caller's own account: how they are notified (parts/notify-settings.js),
// and the PIN that signs them in on the laptops of a meeting room
// (docs/security.md "PINs on the room's laptops"). Setting or changing the
// PIN asks for the current password; removing it asks for nothing.
//   #/account

import { h, replaceContent } from '../../../shared/dom.js'
import { myPin, setPin, removePin } from '../../../shared/api.js'
import { t, errorMessage, onLangChange } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'
import { createNotifySettings } from '../parts/notify-settings.js'

export function mountAccount(root, ctx) {
  const state = { pin: null, notice: null, busy: false }
  const notify = createNotifySettings(ctx)
  const password = h('input', { id: 'acc-password', 'data-key': 'acc-password', type: 'password', autocomplete: 'current-password' })
  const pin = h('input', { id: 'acc-pin', 'data-key': 'acc-pin', type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: 6, pattern: '[0-9]{6}', class: 'pin-input' })
  const again = h('input', { id: 'acc-pin-again', 'data-key': 'acc-pin-again', type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: 6, pattern: '[0-9]{6}', class: 'pin-input' })

  async function load() {
    try {
      state.pin = await myPin()
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: errorMessage(err) }
    }
    render()
  }

  async function act(job, okKey) {
    if (state.busy) return
    state.busy = true
    state.notice = null
    render()
    try {
      await job()
      state.notice = { kind: 'ok', text: t(okKey) }
      password.value = pin.value = again.value = ''
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: errorMessage(err) }
    }
    state.busy = false
    await load()
  }

  function save(e) {
    e.preventDefault()
    if (!password.value || !/^\d{6}$/.test(pin.value)) {
      state.notice = { kind: 'error', text: t('account.pin.missing') }
      return render()
    }
    if (pin.value !== again.value) {
      state.notice = { kind: 'error', text: t('account.pin.mismatch') }
      return render()
    }
    const wasSet = state.pin?.set
    act(() => setPin(password.value, pin.value), wasSet ? 'account.pin.changed' : 'account.pin.saved')
  }

  function status() {
    if (!state.pin) return h('p', { role: 'status' }, t('app.loading'))
    if (state.pin.locked) return h('p', { class: 'callout warn', 'data-key': 'pin-status' }, t('account.pin.locked'))
    if (state.pin.set) return h('p', { class: 'ok-text', 'data-key': 'pin-status' }, t('account.pin.isSet', { when: formatDateTime(state.pin.set_at) }))
    return h('p', { class: 'meta', 'data-key': 'pin-status' }, t('account.pin.notSet'))
  }

  const field = (id, text, control) => h('div', { class: 'field' }, h('label', { for: id }, text), control)

  function render() {
    document.title = `${t('account.title')} – ${t('app.name')}`
    notify.render()
    replaceContent(
      root,
      h(
        'div',
        { class: 'account' },
        h('h1', {}, t('account.title')),
        h('p', { 'data-key': 'account-who' }, h('strong', {}, ctx.user.full_name ?? ''), h('span', { class: 'meta' }, ` · ${[ctx.user.username, ctx.user.title, ctx.user.unit].filter(Boolean).join(' · ')}`)),
        notify.el,
        h(
          'section',
          { class: 'panel', 'aria-labelledby': 'acc-pin-title' },
          h('h2', { id: 'acc-pin-title' }, t('account.pin.title')),
          h('p', { class: 'meta' }, t('account.pin.explain')),
          status(),
          h(
            'form',
            { class: 'pin-form', novalidate: true, onsubmit: save },
            field('acc-password', t('account.pin.password'), password),
            field('acc-pin', t('account.pin.new'), pin),
            field('acc-pin-again', t('account.pin.again'), again),
            h('p', { class: 'meta small' }, t('account.pin.rules')),
            h('div', { 'aria-live': 'polite' }, state.notice ? h('p', { class: state.notice.kind === 'error' ? 'error' : 'ok-text', role: state.notice.kind === 'error' ? 'alert' : 'status', 'data-key': 'acc-notice' }, state.notice.text) : null),
            h(
              'div',
              { class: 'row tight' },
              h('button', { type: 'submit', class: 'primary', 'data-key': 'acc-pin-save', disabled: state.busy }, state.pin?.set ? t('account.pin.change') : t('account.pin.save')),
              state.pin?.set ? h('button', { type: 'button', class: 'danger', 'data-key': 'acc-pin-remove', disabled: state.busy, onclick: () => act(removePin, 'account.pin.removed') }, t('account.pin.remove')) : null,
            ),
          ),
        ),
      ),
    )
  }

  render()
  load()
  const offLang = onLangChange(render)
  return {
    destroy() {
      offLang()
      notify.destroy()
    },
  }
}
