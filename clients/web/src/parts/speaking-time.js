// The chair's control of speaking time: the time per turn of the current
// agenda item, a time of its own for the next speaker given the floor, and
// "+1 phút / +2 phút" for whoever is speaking. All intents; every laptop and
// the projector count down from the floor's start plus its (new) limit.

import { h } from '../../../shared/dom.js'
import { currentIndex } from '../../../shared/room.js'
import { formatSeconds } from '../../../shared/timer.js'
import { t } from '../../../shared/i18n/index.js'

export const EXTRA_MINUTES = [1, 2]
const DEFAULT_LIMIT_S = 300

/**
 * Minutes typed as people write them ("1,5" or "1.5"), in seconds; null when
 * empty. Out of [min, max] or not a number: the field says why (in the
 * interface's language, not the browser's) and null is returned.
 */
export function minutesField(input, { min = 0.5, max = 60 } = {}) {
  const text = String(input.value).trim()
  input.setCustomValidity('')
  if (!text) return null
  const value = Number(text.replace(',', '.'))
  if (!Number.isFinite(value) || value < min || value > max) {
    input.setCustomValidity(t('speaking.badMinutes', { min: String(min).replace('.', ','), max }))
    input.reportValidity?.()
    return null
  }
  return Math.round(value * 60)
}

const seconds = (input) => minutesField(input)

/** A minutes field that takes a decimal comma (type=number would drop it). */
export const minutesInput = (id, extra = {}) =>
  h('input', { id, 'data-key': id, type: 'text', inputmode: 'decimal', autocomplete: 'off', size: 5, ...extra })

/** The time per turn on the current item: its own, else the meeting's. */
export function itemLimit(room) {
  const item = room.agenda[currentIndex(room)]
  return Number(item?.speech_limit_s) || Number(room.settings?.speech_limit_s) || DEFAULT_LIMIT_S
}

export function createSpeakingTime({ act }) {
  const itemMinutes = minutesInput('speech-item-min')
  const grantMinutes = minutesInput('speech-grant-min')

  /** The item's time, settable, and the next turn's own time. */
  function controls(room) {
    const item = room.agenda[currentIndex(room)]
    return h(
      'div',
      { class: 'speaking-time' },
      h('h3', {}, t('speaking.title')),
      item
        ? h(
            'form',
            {
              class: 'row end',
              onsubmit: (e) => {
                e.preventDefault()
                const s = seconds(itemMinutes)
                if (s) act('agenda.speech_limit', { item: Number(item.id), seconds: s }).then((ok) => { if (ok) itemMinutes.value = '' })
              },
            },
            h('div', { class: 'field' }, h('label', { for: 'speech-item-min' }, t('speaking.item')), itemMinutes),
            h('button', { type: 'submit', 'data-key': 'speech-item-set' }, t('speaking.set')),
          )
        : null,
      item ? h('p', { class: 'meta', 'data-key': 'speech-item-now', 'data-limit': String(itemLimit(room)) }, t('speaking.itemIs', { time: formatSeconds(itemLimit(room)) })) : null,
      h('div', { class: 'field' }, h('label', { for: 'speech-grant-min' }, t('speaking.grant')), grantMinutes),
    )
  }

  /** Args of speaker.grant: the next turn's own time, if the chair gave one (used once). */
  function grantArgs(request) {
    const s = seconds(grantMinutes)
    grantMinutes.value = ''
    return s ? { request, limit_s: s } : { request }
  }

  function extendButtons(floor) {
    return EXTRA_MINUTES.map((n) =>
      h('button', { type: 'button', 'data-key': `floor-add-${n}`, 'aria-label': t('speaking.addFor', { n, count: n, name: floor.name ?? '' }), onclick: () => act('speaker.extend', { seconds: n * 60 }) }, t('speaking.add', { n })),
    )
  }

  return { controls, grantArgs, extendButtons }
}
