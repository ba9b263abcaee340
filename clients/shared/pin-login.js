// Signing in with a PIN on a laptop registered to a room (docs/security.md
// "PINs on the room's laptops"): the person picks their name among today's
// people of the room (or types their login name) and types the six digits.
// The server says why a PIN is refused (this laptop, the network, no meeting
// here today, a wrong or locked PIN), in the reader's language.

import { h, replaceContent } from './dom.js'
import { loginPin } from './api.js'
import { t, errorMessage } from './i18n/index.js'

const OTHER = 'other'

/**
 * @param {{device: {room: string, name: string}, people: Array<{id: number, full_name: string, title?: string}>,
 *          onLoggedIn: (user: object) => void, onPassword: () => void}} options
 */
export function createPinLogin({ device, people, onLoggedIn, onPassword }) {
  const state = { who: people.length ? '' : OTHER, username: '', pin: '', error: '', busy: false }
  const el = h('form', { class: 'login pin-login', novalidate: true, 'aria-labelledby': 'pin-title', onsubmit: submit })

  async function submit(event) {
    event.preventDefault()
    if (state.busy) return
    const who = state.who === OTHER ? { username: state.username.trim() } : { user_id: Number(state.who) }
    if ((state.who === OTHER ? !who.username : !state.who) || !/^\d{6}$/.test(state.pin)) {
      state.error = t('pin.login.missing')
      render()
      return
    }
    state.busy = true
    state.error = ''
    render()
    try {
      const { user } = await loginPin(who, state.pin)
      state.pin = ''
      onLoggedIn(user ?? {})
    } catch (err) {
      state.busy = false
      state.pin = ''
      state.error = errorMessage(err)
      render()
      el.querySelector('[data-key="pin"]')?.focus()
    }
  }

  const label = (p) => (p.title ? `${p.full_name} – ${p.title}` : p.full_name)

  function render() {
    const invalid = state.error ? 'true' : false
    replaceContent(
      el,
      h('h1', { id: 'pin-title' }, t('pin.login.title')),
      h('p', { class: 'hint', 'data-key': 'pin-room' }, t('pin.login.room', { room: device.room, name: device.name })),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'pin-person' }, t('pin.login.person')),
        h(
          'select',
          { id: 'pin-person', 'data-key': 'pin-person', onchange: (e) => { state.who = e.target.value; render() } },
          h('option', { value: '', selected: state.who === '' }, t('pin.login.pick')),
          people.map((p) => h('option', { value: String(p.id), selected: state.who === String(p.id) }, label(p))),
          h('option', { value: OTHER, selected: state.who === OTHER }, t('pin.login.other')),
        ),
      ),
      state.who === OTHER
        ? h(
            'div',
            { class: 'field' },
            h('label', { for: 'pin-username' }, t('login.username')),
            h('input', { id: 'pin-username', 'data-key': 'pin-username', type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', value: state.username, oninput: (e) => { state.username = e.target.value } }),
          )
        : null,
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'pin-code' }, t('pin.login.pin')),
        h('input', {
          id: 'pin-code',
          'data-key': 'pin',
          type: 'password',
          inputmode: 'numeric',
          autocomplete: 'off',
          maxlength: 6,
          pattern: '[0-9]{6}',
          class: 'pin-input',
          value: state.pin,
          'aria-invalid': invalid,
          'aria-describedby': state.error ? 'pin-error' : false,
          oninput: (e) => { state.pin = e.target.value.replace(/\D/g, '').slice(0, 6) },
        }),
      ),
      h('p', { id: 'pin-error', class: 'error', role: 'alert' }, state.error),
      h('button', { type: 'submit', class: 'primary', 'data-key': 'pin-submit', disabled: state.busy }, state.busy ? t('login.submitting') : t('login.submit')),
      h('button', { type: 'button', class: 'link', 'data-key': 'use-password', onclick: onPassword }, t('pin.login.usePassword')),
    )
  }

  render()
  return { el, render, focus: () => el.querySelector(state.who === OTHER ? '[data-key="pin-username"]' : '[data-key="pin-person"]')?.focus() }
}
