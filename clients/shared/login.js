// The login screen, the same for laptops and the projector.

import { h, replaceContent } from './dom.js'
import { login, roomDevice } from './api.js'
import { t, has, errorMessage, onLangChange } from './i18n/index.js'
import { createPinLogin } from './pin-login.js'

function loginError(err) {
  if (has(`login.error.${err.code}`)) return t(`login.error.${err.code}`)
  if (err.status === 401) return t('login.error.invalid')
  return errorMessage(err)
}

/**
 * @param {HTMLElement} root
 * @param {{onLoggedIn: (user: object) => void, notice?: string, hint?: string, roomDevice?: boolean}} options
 *   notice and hint are catalogue keys; roomDevice: ask whether this laptop
 *   is a room's, and offer the PIN if it is (pin-login.js)
 */
export function mountLogin(root, { onLoggedIn, notice, hint, roomDevice: askRoom = false }) {
  const state = { username: '', password: '', error: '', busy: false, notice, room: null, pin: null }

  async function submit(event) {
    event.preventDefault()
    if (state.busy) return
    state.notice = undefined
    if (!state.username.trim() || !state.password) {
      state.error = t('login.missing')
      render()
      return
    }
    state.busy = true
    state.error = ''
    render()
    try {
      const { user } = await login(state.username.trim(), state.password)
      state.password = ''
      onLoggedIn(user ?? {})
    } catch (err) {
      state.busy = false
      state.error = loginError(err)
      state.password = ''
      render()
      root.querySelector('[data-key="password"]')?.focus()
    }
  }

  function field(key, type, autocomplete) {
    const id = `login-${key}`
    return h(
      'div',
      { class: 'field' },
      h('label', { for: id }, t(`login.${key}`)),
      h('input', {
        id,
        name: key,
        type,
        autocomplete,
        required: true,
        autocapitalize: 'none',
        spellcheck: 'false',
        value: state[key],
        'data-key': key,
        'aria-invalid': state.error ? 'true' : false,
        'aria-describedby': state.error ? 'login-error' : false,
        oninput: (e) => {
          state[key] = e.target.value
        },
      }),
    )
  }

  function usePin() {
    state.pin = createPinLogin({ ...state.room, onLoggedIn, onPassword: () => { state.pin = null; render(); root.querySelector('[data-key="username"]')?.focus() } })
    render()
    state.pin.focus()
  }

  function render() {
    if (state.pin) {
      state.pin.render()
      replaceContent(root, state.pin.el)
      return
    }
    replaceContent(
      root,
      h(
        'form',
        { class: 'login', novalidate: true, onsubmit: submit, 'aria-labelledby': 'login-title' },
        h('h1', { id: 'login-title' }, t('login.title')),
        state.notice ? h('p', { class: 'notice', role: 'status' }, t(state.notice)) : null,
        hint ? h('p', { class: 'hint' }, t(hint)) : null,
        field('username', 'text', 'username'),
        field('password', 'password', 'current-password'),
        h(
          'p',
          { id: 'login-error', class: 'error', role: 'alert' },
          state.error,
        ),
        h(
          'button',
          { type: 'submit', class: 'primary', 'data-key': 'submit', disabled: state.busy },
          state.busy ? t('login.submitting') : t('login.submit'),
        ),
        state.room
          ? h('button', { type: 'button', class: 'pin-offer', 'data-key': 'use-pin', onclick: usePin }, t('pin.login.offer', { room: state.room.device.room }))
          : null,
      ),
    )
  }

  render()
  root.querySelector('[data-key="username"]')?.focus()
  const offLang = onLangChange(render)
  if (askRoom) {
    roomDevice()
      .then((found) => {
        if (!found.device) return
        state.room = { device: found.device, people: found.people ?? [] }
        if (!state.pin) render()
      })
      .catch(() => {}) // no offer: the password works everywhere
  }
  return { destroy: offLang }
}
