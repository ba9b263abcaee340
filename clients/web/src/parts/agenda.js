// The agenda list of the meeting view; for the chair, every item is a button.
// "Đang thảo luận" marks the cursor's item only while the session runs
// (open or suspended): before the opening it is the item the session starts
// with, after the close no item is under discussion.

import { h } from '../../../shared/dom.js'
import { sameId } from '../../../shared/room.js'
import { t } from '../../../shared/i18n/index.js'

function details(item) {
  const bits = []
  if (item.presenter) bits.push(t('meeting.presenter', { name: item.presenter }))
  if (item.duration_min) bits.push(t('meeting.duration', { minutes: Math.round(item.duration_min) }))
  return bits.length ? h('span', { class: 'agenda-meta' }, bits.join(' · ')) : null
}

const IN_SESSION = new Set(['open', 'suspended'])

/**
 * @param {{agenda: object[], cursorItem: any, session: string, chair: boolean,
 *          busy: boolean, onGoto: (id: any) => void}} props
 *   session: not_started, open, suspended or closed
 */
export function agendaList({ agenda, cursorItem, session = 'not_started', chair, busy, onGoto }) {
  const live = IN_SESSION.has(session)
  if (agenda.length === 0) return h('p', {}, t('meeting.agendaEmpty'))
  return h(
    'ol',
    { class: 'agenda' },
    agenda.map((item, index) => {
      const atCursor = sameId(item.id, cursorItem)
      const current = live && atCursor
      const first = session === 'not_started' && atCursor
      const content = [
        h('span', { class: 'agenda-pos', 'aria-hidden': 'true' }, `${index + 1}.`),
        h(
          'span',
          { class: 'agenda-text' },
          h('span', { class: 'agenda-title' }, item.title),
          details(item),
        ),
        current ? h('span', { class: 'now' }, t('meeting.current')) : null,
        first ? h('span', { class: 'first-up' }, t('meeting.startsHere')) : null,
      ]
      return h(
        'li',
        // The cursor's step for assistive technology before the opening too,
        // read with its visible label ("Bắt đầu từ nội dung này").
        { class: current ? 'current' : first ? 'first' : false, 'aria-current': current || first ? 'step' : false },
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
