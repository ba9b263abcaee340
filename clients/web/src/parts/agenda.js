// The agenda list of the meeting view; for the chair, every item is a button.

import { h } from '../../../shared/dom.js'
import { sameId } from '../../../shared/room.js'
import { t } from '../../../shared/i18n/index.js'

function details(item) {
  const bits = []
  if (item.presenter) bits.push(t('meeting.presenter', { name: item.presenter }))
  if (item.duration_min) bits.push(t('meeting.duration', { minutes: Math.round(item.duration_min) }))
  return bits.length ? h('span', { class: 'agenda-meta' }, bits.join(' · ')) : null
}

/**
 * @param {{agenda: object[], cursorItem: any, chair: boolean, busy: boolean,
 *          onGoto: (id: any) => void}} props
 */
export function agendaList({ agenda, cursorItem, chair, busy, onGoto }) {
  if (agenda.length === 0) return h('p', {}, t('meeting.agendaEmpty'))
  return h(
    'ol',
    { class: 'agenda' },
    agenda.map((item, index) => {
      const current = sameId(item.id, cursorItem)
      const content = [
        h('span', { class: 'agenda-pos', 'aria-hidden': 'true' }, `${index + 1}.`),
        h(
          'span',
          { class: 'agenda-text' },
          h('span', { class: 'agenda-title' }, item.title),
          details(item),
        ),
        current ? h('span', { class: 'now' }, t('meeting.current')) : null,
      ]
      return h(
        'li',
        { class: current ? 'current' : false, 'aria-current': current ? 'step' : false },
        chair
          ? h(
              'button',
              {
                type: 'button',
                class: 'agenda-item',
                'data-key': `item-${item.id}`,
                title: t('meeting.goto', { title: item.title }),
                'aria-disabled': busy || current ? 'true' : false,
                onclick: () => !busy && !current && onGoto(item.id),
              },
              content,
            )
          : h('div', { class: 'agenda-item' }, content),
      )
    }),
  )
}
