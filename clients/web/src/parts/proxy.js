// Handing one's vote over (ủy quyền biểu quyết), when the meeting allows it
// (`settings.allow_proxy`): a member asks to hand their vote to another member
// who is present (`proxy.request`), the chair approves or refuses
// (`proxy.decide`, console.js), and the member may take it back
// (`proxy.withdraw`). The room's `proxies` map is the state; the holder then
// gets a second ballot (ballot.js).

import { h, replaceContent } from '../../../shared/dom.js'
import { ownProxy, proxiesTo, mayHandOver, proxyCandidates, isMember, personName } from '../../../shared/room.js'
import { t } from '../../../shared/i18n/index.js'

/**
 * @param {object} o
 * @param {object} o.user the caller
 * @param {(type, args) => Promise<boolean>} o.act sends an intent; errors go to the meeting's alert
 */
export function createProxy({ user, act }) {
  const state = { room: null, target: '', busy: false }
  const el = h('section', { class: 'panel proxy-panel', 'aria-labelledby': 'proxy-title', hidden: true })

  async function send(type, args) {
    state.busy = true
    render()
    const ok = await act(type, args)
    state.busy = false
    if (ok && type === 'proxy.request') state.target = ''
    render()
    el.querySelector('[data-key="proxy-withdraw"], [data-key="proxy-to"]')?.focus()
  }

  function givenLine(given, toName) {
    if (!given) return null
    const line = {
      requested: ['callout', 'proxy.requested'],
      approved: ['callout ok', 'proxy.approved'],
      rejected: ['callout warn', 'proxy.rejected'],
      withdrawn: ['meta', 'proxy.withdrawn'],
    }[given.status]
    if (!line) return null
    const active = given.status === 'requested' || given.status === 'approved'
    return h(
      'div',
      { class: 'proxy-given', 'data-proxy-status': given.status },
      h('p', { class: line[0], role: 'status' }, t(line[1], { name: toName })),
      active
        ? h(
            'button',
            { type: 'button', class: 'danger', 'data-key': 'proxy-withdraw', disabled: state.busy, onclick: () => send('proxy.withdraw', {}) },
            given.status === 'requested' ? t('proxy.cancelRequest') : t('proxy.withdraw'),
          )
        : null,
    )
  }

  function requestForm(candidates) {
    if (!candidates.length) return h('p', { class: 'meta' }, t('proxy.nobody'))
    if (!candidates.some((p) => String(p.id) === state.target)) state.target = ''
    return h(
      'form',
      {
        class: 'proxy-form',
        onsubmit: (e) => {
          e.preventDefault()
          if (state.target) send('proxy.request', { to: Number(state.target) })
          else el.querySelector('#proxy-to')?.focus()
        },
      },
      h('label', { for: 'proxy-to' }, t('proxy.to')),
      h(
        'select',
        {
          id: 'proxy-to',
          'data-key': 'proxy-to',
          onchange: (e) => {
            state.target = e.target.value
            render()
          },
        },
        h('option', { value: '', selected: !state.target }, t('proxy.choose')),
        candidates.map((p) => h('option', { value: String(p.id), selected: String(p.id) === state.target }, p.unit ? `${p.name} (${p.unit})` : p.name)),
      ),
      h('p', { class: 'meta small' }, t('proxy.hint')),
      h('button', { type: 'submit', class: 'primary', 'data-key': 'proxy-request', disabled: state.busy || !state.target }, t('proxy.request')),
    )
  }

  function render() {
    const room = state.room
    if (!room) return
    const me = room.people[String(user.id)]
    const held = proxiesTo(room, user.id)
    const given = ownProxy(room, user.id)
    // Shown to members of a meeting that allows proxies, and to anyone a proxy concerns.
    const show = Boolean(room.settings?.allow_proxy) && (isMember(me) || held.length > 0 || Boolean(given))
    el.hidden = !show
    if (!show) {
      el.replaceChildren()
      return
    }
    const may = mayHandOver(room, user.id)
    const toName = given ? given.to_name || personName(room, given.to, `#${given.to}`) : ''
    replaceContent(
      el,
      h('h2', { id: 'proxy-title' }, t('proxy.title')),
      givenLine(given, toName),
      held.length
        ? h(
            'ul',
            { class: 'proxy-held' },
            held.map((p) =>
              h('li', { 'data-proxy-from': p.member, 'data-proxy-status': p.status }, t(p.status === 'approved' ? 'proxy.holding' : 'proxy.pendingToYou', { name: p.name })),
            ),
          )
        : null,
      may.may ? requestForm(proxyCandidates(room, user.id)) : null,
      may.reason === 'holding' ? h('p', { class: 'meta' }, t('proxy.cannotHandOn')) : null,
      may.reason === 'deputy' ? h('p', { class: 'meta' }, t('proxy.hasDeputy')) : null,
    )
  }

  return {
    el,
    update(room) {
      state.room = room
      render()
    },
  }
}
