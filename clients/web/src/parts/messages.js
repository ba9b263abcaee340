// Messages to the secretary or the chair (a document request, a technical
// problem), and their answers. The inbox (meeting/{id}/inbox) is the
// caller's own document, written by the server only.

import { h, replaceContent } from '../../../shared/dom.js'
import { LiveConnection, websocketUrl } from '../../../shared/live.js'
import { sameId } from '../../../shared/room.js'
import { t, errorMessage, onLangChange } from '../../../shared/i18n/index.js'
import { formatTime } from '../../../shared/time.js'

export const MESSAGE_KINDS = ['document_request', 'technical', 'other']
export const RECIPIENTS = ['secretary', 'chair']

export function openInbox(meetingId) {
  const conn = new LiveConnection(websocketUrl(`meeting/${encodeURIComponent(meetingId)}/inbox`), {
    readOnly: true,
    awareness: null,
  })
  const read = () =>
    Object.values(conn.doc.getMap('messages').toJSON())
      .filter((m) => m && typeof m === 'object')
      .sort((a, b) => (a.at ?? 0) - (b.at ?? 0) || (a.id ?? 0) - (b.id ?? 0))
  return { conn, read }
}

/**
 * What arrived for the person and what they have not read yet: messages to
 * their desk (`role`, the secretary's or the chair's) and answers by others
 * to their own messages or to their desk's. The read marker is the person's
 * own, in their inbox on the server (`message.read`): it follows the person
 * from laptop to laptop and survives a reload; the browser keeps nothing.
 * @returns {{count: number, latest: number, readAt: number, isNew: (at: number) => boolean}}
 */
export function unreadOf(inbox, user, { desk = null, own = true } = {}) {
  const readAt = Number(inbox.conn.doc.getMap('read').get('at') ?? 0)
  let count = 0
  let latest = 0
  const seen = (at) => {
    const when = Number(at ?? 0)
    latest = Math.max(latest, when)
    if (when > readAt) count += 1
  }
  for (const m of inbox.read()) {
    const mine = sameId(m.from, user.id)
    const toDesk = desk !== null && m.to === desk
    if (toDesk && !mine) seen(m.at)
    if ((own && mine) || toDesk) for (const r of m.replies ?? []) if (!sameId(r.by, user.id)) seen(r.at)
  }
  return { count, latest, readAt, isNew: (at) => Number(at ?? 0) > readAt }
}

function markRead(sendIntent, unread) {
  if (unread.latest > unread.readAt) sendIntent('message.read', { upto: Math.floor(unread.latest) }).catch(() => {})
}

function unreadBadge(unread, key, onclick) {
  if (!unread.count) return null
  return h('button', { type: 'button', class: 'unread-badge', 'data-key': key, 'aria-label': `${t('message.unread', { count: unread.count })}: ${t('message.markRead')}`, onclick }, t('message.unread', { count: unread.count }))
}

function thread(message, isNew = () => false) {
  return [
    h(
      'p',
      { class: 'msg-head' },
      h('span', { class: 'tag' }, t(`message.kind.${message.kind}`)),
      ' ',
      h('span', { class: 'meta' }, `${message.from_name ?? ''} → ${t(`message.to.${message.to}`)} · ${formatTime(message.at)}`),
    ),
    h('p', { class: 'msg-text' }, message.text),
    (message.replies ?? []).map((r) =>
      h('p', { class: isNew(r.at) ? 'msg-reply unread' : 'msg-reply' }, isNew(r.at) ? [h('span', { class: 'tag new' }, t('message.new')), ' '] : null, h('strong', {}, `${r.name ?? ''} (${formatTime(r.at)}): `), r.text),
    ),
  ]
}

/** For everyone: write to the secretary or the chair, see one's messages and answers. */
export function createMessages({ user, inbox, sendIntent, role = () => '' }) {
  const state = { to: 'secretary', kind: 'document_request', busy: false, error: '', sent: false }
  const el = h('section', { class: 'panel messages', 'aria-labelledby': 'messages-title' })
  const text = h('textarea', { id: 'msg-text', 'data-key': 'msg-text', rows: 3, maxlength: 1000 })
  const list = h('div', { class: 'msg-list', 'aria-live': 'polite' })
  const formSlot = h('div', {})
  const badgeSlot = h('span', { class: 'badge-slot' })
  const heading = h('h2', { id: 'messages-title' }, t('message.title'))
  el.append(h('div', { class: 'panel-head' }, heading, badgeSlot), formSlot, list)

  async function send(e) {
    e.preventDefault()
    if (state.busy) return
    if (!text.value.trim()) {
      state.error = t('message.empty')
      renderForm()
      text.focus()
      return
    }
    state.busy = true
    state.error = ''
    state.sent = false
    renderForm()
    try {
      await sendIntent('message.send', { to: state.to, kind: state.kind, text: text.value.trim() })
      text.value = ''
      state.sent = true
    } catch (err) {
      state.error = errorMessage(err)
    }
    state.busy = false
    renderForm()
  }

  const select = (id, value, options, prefix, onchange) =>
    h(
      'select',
      { id, 'data-key': id, onchange: (e) => onchange(e.target.value) },
      options.map((o) => h('option', { value: o, selected: o === value }, t(`${prefix}.${o}`))),
    )

  function renderForm() {
    // Nobody writes to their own desk: the chair writes to the secretary and back.
    const recipients = RECIPIENTS.filter((r) => r !== role())
    if (!recipients.includes(state.to)) state.to = recipients[0]
    replaceContent(
      formSlot,
      h(
        'form',
        { class: 'msg-form', onsubmit: send },
        h('div', { class: 'field' }, h('label', { for: 'msg-to' }, t('message.toLabel')), select('msg-to', state.to, recipients, 'message.to', (v) => { state.to = v })),
        h('div', { class: 'field' }, h('label', { for: 'msg-kind' }, t('message.kindLabel')), select('msg-kind', state.kind, MESSAGE_KINDS, 'message.kind', (v) => { state.kind = v })),
        h('div', { class: 'field' }, h('label', { for: 'msg-text' }, t('message.textLabel')), text),
        state.error ? h('p', { class: 'error', role: 'alert' }, state.error) : null,
        state.sent ? h('p', { class: 'ok-text', role: 'status' }, t('message.sent')) : null,
        h('button', { type: 'submit', class: 'primary', 'data-key': 'msg-send', disabled: state.busy }, state.busy ? t('meeting.sending') : t('message.send')),
      ),
    )
  }

  function renderList() {
    const mine = inbox.read().filter((m) => sameId(m.from, user.id))
    const unread = unreadOf(inbox, user)
    replaceContent(badgeSlot, unreadBadge(unread, 'msg-unread', () => markRead(sendIntent, unread)))
    replaceContent(
      list,
      mine.length
        ? h('ol', { class: 'msgs' }, mine.reverse().map((m) => h('li', { 'data-message': m.id }, thread(m, unread.isNew))))
        : null,
    )
  }

  renderForm()
  renderList()
  const offLang = onLangChange(() => {
    heading.textContent = t('message.title')
    renderForm()
    renderList()
  })
  const off = () => {
    offLang()
    inbox.conn.doc.off('update', renderList)
  }
  inbox.conn.doc.on('update', renderList)
  return { el, destroy: off }
}

/** For the secretary and the chair: messages to their desk, with replies. */
export function createDesk({ inbox, role, user, sendIntent }) {
  const drafts = new Map() // message id -> textarea
  const errors = new Map()
  const el = h('section', { class: 'panel desk', 'aria-labelledby': 'desk-title' })
  const list = h('div', {})
  const badgeSlot = h('span', { class: 'badge-slot' })
  const heading = h('h2', { id: 'desk-title' }, t('message.desk'))
  el.append(h('div', { class: 'panel-head' }, heading, badgeSlot), list)
  const unread = () => unreadOf(inbox, user, { desk: role(), own: false })

  async function reply(id) {
    const area = drafts.get(id)
    if (!area?.value.trim()) return
    errors.delete(id)
    try {
      await sendIntent('message.reply', { message: Number(id), text: area.value.trim() })
      area.value = ''
      markRead(sendIntent, unread()) // answering is reading
    } catch (err) {
      errors.set(id, errorMessage(err))
    }
    render()
  }

  function render() {
    const incoming = inbox.read().filter((m) => m.to === role())
    const now = unread()
    replaceContent(badgeSlot, unreadBadge(now, 'desk-unread', () => markRead(sendIntent, now)))
    if (!incoming.length) {
      replaceContent(list, h('p', { class: 'meta' }, t('message.none')))
      return
    }
    replaceContent(
      list,
      h(
        'ol',
        { class: 'msgs' },
        incoming.reverse().map((m) => {
          let area = drafts.get(m.id)
          if (!area) {
            area = h('textarea', { id: `reply-${m.id}`, 'data-key': `reply-${m.id}`, rows: 2, maxlength: 1000 })
            drafts.set(m.id, area)
          }
          return h(
            'li',
            { 'data-message': m.id, class: `${(m.replies ?? []).length ? 'answered' : 'unanswered'}${now.isNew(m.at) && !sameId(m.from, user.id) ? ' unread' : ''}` },
            now.isNew(m.at) && !sameId(m.from, user.id) ? h('span', { class: 'tag new' }, t('message.new')) : null,
            thread(m, now.isNew),
            h(
              'form',
              {
                class: 'reply-form',
                onsubmit: (e) => {
                  e.preventDefault()
                  reply(m.id)
                },
              },
              h('label', { for: `reply-${m.id}` }, t('message.replyLabel')),
              area,
              errors.get(m.id) ? h('p', { class: 'error', role: 'alert' }, errors.get(m.id)) : null,
              h('button', { type: 'submit', 'data-key': `reply-send-${m.id}` }, t('message.reply')),
            ),
          )
        }),
      ),
    )
  }

  render()
  inbox.conn.doc.on('update', render)
  const offLang = onLangChange(() => {
    heading.textContent = t('message.desk')
    render()
  })
  return {
    el,
    destroy: () => {
      offLang()
      inbox.conn.doc.off('update', render)
    },
    update: render,
    unread: () => unread().count,
  }
}
