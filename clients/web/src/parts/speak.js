// Asking to speak: a kind, one's place in the queue, withdraw; who has the
// floor and for how long.

import { h, replaceContent } from '../../../shared/dom.js'
import { ownRequest, sessionState, sameId } from '../../../shared/room.js'
import { countdown, formatSeconds } from '../../../shared/timer.js'
import { t } from '../../../shared/i18n/index.js'

export const SPEECH_KINDS = ['speech', 'question', 'point_of_order']

/** The floor line shared by the delegate panel and the chair console. */
export function floorLine(floor, now = Date.now()) {
  if (!floor) return h('p', { class: 'meta' }, t('speak.nobody'))
  const c = countdown(floor.started, floor.limit_s, now)
  return h(
    'p',
    { class: c.overrun ? 'floor overrun' : c.warn ? 'floor warn' : 'floor' },
    h('span', {}, t('speak.floor', { name: floor.name ?? '', kind: t(`speak.kind.${floor.kind}`) })),
    h(
      'span',
      { class: 'timer', 'data-remaining': String(c.remaining) },
      c.overrun ? t('speak.overrun', { time: formatSeconds(-c.remaining) }) : formatSeconds(c.remaining),
    ),
  )
}

export function createSpeak({ user, role, act }) {
  const state = { kind: 'speech', room: null, pending: false }
  // One request at a time: a double click sends once, not a second request
  // that the room refuses with an error for something that worked.
  async function send(type, args) {
    if (state.pending) return
    state.pending = true
    render()
    try {
      await act(type, args)
    } finally {
      state.pending = false
      render()
    }
  }
  const el = h('section', { class: 'panel speak', 'aria-labelledby': 'speak-title' })
  const timerSlot = h('div', { class: 'floor-slot' })
  const body = h('div', {})
  const heading = h('h2', { id: 'speak-title' }, t('speak.title'))
  el.append(heading, timerSlot, body)

  function renderTimer() {
    if (!state.room) return
    replaceContent(timerSlot, floorLine(state.room.floor))
  }

  function render() {
    const room = state.room
    heading.textContent = t('speak.title')
    if (!room) return
    renderTimer()
    const mine = ownRequest(room, user.id)
    const speaking = room.floor && sameId(room.floor.user, user.id)
    const open = sessionState(room) === 'open'
    let content
    // The chair gives the floor from the console and does not queue for it.
    if (role() === 'display' || role() === 'chair') content = null
    else if (speaking) {
      content = [
        h('p', { class: 'callout ok', role: 'status' }, t('speak.youHaveFloor')),
        h('button', { type: 'button', 'data-key': 'speak-end', disabled: state.pending, onclick: () => send('speaker.end', {}) }, t('speak.finish')),
      ]
    } else if (mine) {
      content = [
        h(
          'p',
          { class: 'callout', role: 'status', 'data-place': String(mine.place) },
          t('speak.queued', { kind: t(`speak.kind.${mine.kind}`), place: mine.place, count: room.queue.length }),
        ),
        h('button', { type: 'button', 'data-key': 'speak-withdraw', disabled: state.pending, onclick: () => send('speaker.withdraw', {}) }, t('speak.withdraw')),
      ]
    } else if (!open) {
      content = h('p', { class: 'meta' }, t('speak.closed'))
    } else {
      content = h(
        'form',
        {
          class: 'speak-form',
          onsubmit: (e) => {
            e.preventDefault()
            send('speaker.request', { kind: state.kind })
          },
        },
        h(
          'fieldset',
          {},
          h('legend', {}, t('speak.kindLegend')),
          SPEECH_KINDS.map((kind) =>
            h(
              'label',
              { class: 'radio' },
              h('input', {
                type: 'radio',
                name: 'speak-kind',
                value: kind,
                'data-key': `kind-${kind}`,
                checked: state.kind === kind,
                onchange: () => {
                  state.kind = kind
                },
              }),
              t(`speak.kind.${kind}`),
            ),
          ),
        ),
        h('button', { type: 'submit', class: 'primary', 'data-key': 'speak-request', disabled: state.pending }, t('speak.request')),
      )
    }
    replaceContent(
      body,
      content,
      room.queue.length ? h('p', { class: 'meta' }, t('speak.waiting', { count: room.queue.length })) : null,
    )
  }

  return {
    el,
    update(room) {
      state.room = room
      render()
    },
    tick: renderTimer,
  }
}
