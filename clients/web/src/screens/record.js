// After the meeting (#/minutes/ID): the minutes written together and
// approved, the approved versions, the conclusion notice and its deadline,
// the record as a zip, and the meeting copied as a template.
//
// Who sees what (docs/api.md "After the session"): the live minutes, the
// secretary, the chair and body admins (written by the first two until the
// meeting is archived); approved versions and the notice, everyone who took
// part; the zip, those who prepare it; the copy, preparers of the body.

import { h, replaceContent } from '../../../shared/dom.js'
import { getMeeting } from '../../../shared/api.js'
import { isPast } from '../../../shared/records.js'
import { t, errorMessage, label, onLangChange } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'
import { createMinutesEditor, createVersions } from '../parts/minutes.js'
import { createConclusion } from '../parts/conclusion.js'
import { createCopyForm, exportLink, mayCopy, mayExport } from '../parts/reuse.js'

const SIGNERS = new Set(['secretary', 'chair'])

export function mountRecord(root, id, ctx) {
  const state = { info: null, error: null }
  let alive = true
  let parts = []
  let editor = null
  let versions = null
  let conclusion = null
  let copy = null

  const head = h('div', { class: 'meeting-head' })
  const mainCol = h('div', { class: 'main-col' })
  const side = h('div', { class: 'side' })
  const recordPanel = h('section', { class: 'panel record-panel', 'aria-labelledby': 'record-title' })
  root.replaceChildren(head, h('div', { class: 'record-layout' }, mainCol, side))

  const role = () => state.info?.role ?? ''
  const status = () => state.info?.status ?? ''
  const mayEdit = () => SIGNERS.has(role()) || (!role() && Boolean(state.info?.can_prepare))

  function renderHead() {
    const m = state.info
    const title = m?.title ?? t('app.loading')
    // No meeting title: the browser's history list keeps titles after logout.
    document.title = `${t('record.title')} – ${t('app.name')}`
    replaceContent(
      head,
      h(
        'nav',
        { class: 'crumbs', 'aria-label': t('meeting.back') },
        h('a', { href: '#/', 'data-key': 'back' }, h('span', { 'aria-hidden': 'true' }, '← '), t('meeting.back')),
        m ? h('a', { href: `#/meeting/${encodeURIComponent(id)}`, 'data-key': 'open-meeting' }, t('record.openMeeting')) : null,
        m && (m.can_prepare || SIGNERS.has(role())) ? h('a', { href: `#/prepare/${encodeURIComponent(id)}`, 'data-key': 'prepare' }, t('prepare.link')) : null,
        m && isPast(m) && (m.can_prepare || SIGNERS.has(role())) ? h('a', { href: `#/replay/${encodeURIComponent(id)}`, 'data-key': 'replay' }, t('replay.link')) : null,
      ),
      h('h1', {}, m ? t('record.heading', { title }) : title),
      m
        ? h(
            'p',
            { class: 'meta' },
            formatDateTime(m.starts_at),
            ' · ',
            h('span', { class: `tag status-${m.status}`, 'data-status': m.status }, label('status', m.status)),
            role() ? ` · ${t('meeting.yourRole', { role: label('role', role()) })}` : '',
          )
        : null,
      state.error ? h('p', { class: 'error', role: 'alert' }, errorMessage(state.error)) : null,
    )
  }

  function renderRecordPanel() {
    const m = state.info
    replaceContent(
      recordPanel,
      h('h2', { id: 'record-title' }, t('reuse.title')),
      mayExport(m) ? h('p', {}, exportLink(id)) : null,
      mayExport(m) ? h('p', { class: 'meta small' }, t('reuse.exportHint')) : null,
      copy ? copy.el : null,
    )
  }

  function teardown() {
    editor?.destroy()
    editor = versions = conclusion = copy = null
    parts = []
  }

  /** The parts this person gets for this meeting as it stands now. */
  function build() {
    teardown()
    const m = state.info
    const past = isPast(m)
    const unauthorized = ctx.unauthorized
    const blocks = []
    if (role() === 'display') {
      replaceContent(mainCol, h('p', { class: 'meta' }, t('record.notForDisplay')))
      replaceContent(side)
      return
    }
    if (!past) {
      blocks.push(h('p', { class: 'callout', 'data-key': 'record-not-ended' }, t('record.notEnded')))
    }
    if (past && mayEdit()) {
      const writable = SIGNERS.has(role()) && status() === 'ended'
      editor = createMinutesEditor({
        meetingId: id,
        writable,
        canApprove: writable,
        unauthorized,
        onStopped: () => refresh(),
        onApproved: () => {
          versions?.reload()
          conclusion?.reload()
        },
      })
      blocks.push(editor.el)
    }
    if (past) {
      versions = createVersions({ meetingId: id, unauthorized })
      conclusion = createConclusion({ meetingId: id, canIssue: SIGNERS.has(role()) && status() === 'ended', warn: mayEdit(), unauthorized })
    }
    if (past && mayCopy(ctx.user)) copy = createCopyForm({ meeting: m, unauthorized })
    parts = [editor, versions, conclusion, copy].filter(Boolean)
    replaceContent(mainCol, blocks, editor ? null : versions?.el, editor ? null : conclusion?.el)
    const sideBlocks = editor ? [versions.el, conclusion.el] : []
    if (mayExport(m) || copy) {
      renderRecordPanel()
      sideBlocks.push(recordPanel)
    }
    replaceContent(side, sideBlocks)
    mainCol.parentElement.dataset.layout = editor ? 'editor' : 'plain'
  }

  async function load() {
    try {
      state.info = (await getMeeting(id)).meeting ?? {}
      state.error = null
    } catch (err) {
      if (err.status === 401) return alive && ctx.unauthorized()
      state.error = err
    }
    if (!alive) return
    renderHead()
    if (state.info) build()
  }

  /** The server closed the live minutes (archived meanwhile?): look again. */
  let refreshing = false
  async function refresh() {
    if (refreshing || !alive) return
    refreshing = true
    try {
      const info = (await getMeeting(id)).meeting ?? {}
      if (!alive) return
      const changed = info.status !== state.info?.status || info.role !== state.info?.role
      state.info = info
      renderHead()
      if (changed) build()
    } catch (err) {
      if (err.status === 401) ctx.unauthorized()
    } finally {
      refreshing = false
    }
  }

  const offLang = onLangChange(() => {
    renderHead()
    for (const part of parts) part.render?.()
    if (state.info && (mayExport(state.info) || copy)) renderRecordPanel()
  })
  renderHead()
  load()
  return {
    destroy() {
      alive = false
      offLang()
      teardown()
    },
  }
}
