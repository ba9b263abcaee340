// Annotations on the reader's page: a person's own pen, highlighter, text
// notes and eraser, with undo, in their notes document
// (meeting/{id}/notes/{document}); and for the presenter, ink and a pointer
// the whole room sees (meeting/{id}/ink). Schema: shared/annotations.js.
//
// The notes live in the live connection's Y.Doc only: edits made offline
// stay in memory and merge when the socket is back; a reload gets them from
// the server again. Nothing is written to browser storage.

import * as Y from 'yjs'
import { h, replaceContent } from '../../../shared/dom.js'
import { LiveConnection, Status, websocketUrl } from '../../../shared/live.js'
import { mayPresent } from '../../../shared/room.js'
import {
  PEN_COLORS,
  HIGHLIGHT_COLORS,
  NOTE_COLOR,
  WIDTH,
  notesPath,
  inkPath,
  notesKey,
  inkKey,
  readPage,
  makeStroke,
  addStroke,
  addNote,
  updateNote,
  removeIds,
  strokesNear,
  undoManager,
} from '../../../shared/annotations.js'
import { makeLayer, drawStrokes, strokeElement } from '../../../shared/ink-svg.js'
import { t, getLang, onLangChange } from '../../../shared/i18n/index.js'
import { annotatedUrl } from '../../../shared/api.js'

const TOOLS = ['read', 'pen', 'highlighter', 'note', 'eraser']
const ERASE_RADIUS = 0.012
const POINTER_EVERY_MS = 50
const NO_NOTES = new Set(['display'])

/**
 * @param {object} o
 * @param {string} o.meetingId
 * @param {object} o.user
 * @param {() => string} o.role
 * @param {HTMLElement} o.frame the page frame (position: relative)
 * @param {() => {document, page, aspect}} o.getView
 */
export function createAnnotator({ meetingId, user, role, frame, getView, onError }) {
  const state = {
    tool: 'read',
    colors: { pen: PEN_COLORS[1], highlighter: HIGHLIGHT_COLORS[0] },
    toRoom: false, // draw on the projector (presenter ink) instead of one's notes
    editing: null, // {id|null, x, y, text}
    room: null,
    onPresentedPage: false,
  }
  const notes = new Map() // document id -> {conn, undo, everSynced}
  let ink = null // {conn, undo, writable, everSynced}
  let inkDoc = null
  let alive = true
  let drawQueued = false

  const inkLayer = makeLayer('ink-layer room-ink')
  const notesLayer = makeLayer('ink-layer own-ink')
  const draft = makeLayer('ink-layer draft')
  const surface = h('div', { class: 'draw-surface' })
  const pins = h('div', { class: 'pins' })
  const editorSlot = h('div', { class: 'editor-slot' })
  frame.append(inkLayer, notesLayer, draft, surface, pins, editorSlot)

  const toolbar = h('div', { class: 'annotate-bar', role: 'toolbar', 'aria-label': t('annotate.toolbar') })
  const noteList = h('details', { class: 'note-list' })

  const canNote = () => !NO_NOTES.has(role())
  const canInk = () => Boolean(state.room) && mayPresent(state.room, user, role())
  const target = () => (state.toRoom && canInk() && state.onPresentedPage ? 'ink' : 'notes')

  // -- documents -----------------------------------------------------------

  function notesEntry(documentId) {
    if (documentId === null || documentId === undefined || !canNote()) return null
    const id = String(documentId)
    let entry = notes.get(id)
    if (!entry) {
      const conn = new LiveConnection(websocketUrl(notesPath(meetingId, id)), { awareness: null })
      entry = { conn, undo: undoManager(conn.doc), everSynced: false }
      conn.on('synced', () => {
        entry.everSynced = true
        renderToolbar()
      })
      conn.on('status', () => renderToolbar())
      conn.doc.on('update', queueDraw)
      entry.undo.on('stack-item-added', renderToolbar)
      entry.undo.on('stack-item-popped', renderToolbar)
      notes.set(id, entry)
    }
    return entry
  }

  /** The ink socket, read-only unless this person may draw for the room.
   *  When that changes the socket is replaced; the replica stays. */
  function syncInk() {
    const writable = canInk()
    if (ink && ink.writable === writable) return
    if (!inkDoc) {
      inkDoc = new Y.Doc()
      inkDoc.on('update', queueDraw)
    }
    const everSynced = ink?.everSynced ?? false
    const undo = ink?.undo ?? undoManager(inkDoc)
    if (!ink) {
      undo.on('stack-item-added', renderToolbar)
      undo.on('stack-item-popped', renderToolbar)
    }
    ink?.conn.destroy()
    const conn = new LiveConnection(websocketUrl(inkPath(meetingId)), { doc: inkDoc, readOnly: !writable, awareness: {} })
    const current = { conn, undo, writable, everSynced }
    ink = current
    conn.on('synced', () => {
      current.everSynced = true
      renderToolbar()
    })
  }

  function active() {
    const view = getView()
    if (target() === 'ink') {
      return ink ? { doc: ink.conn.doc, key: inkKey(view.document, view.page), entry: ink, view } : null
    }
    const entry = notesEntry(view.document)
    return entry ? { doc: entry.conn.doc, key: notesKey(view.page), entry, view } : null
  }

  // -- drawing -------------------------------------------------------------

  function queueDraw() {
    if (drawQueued) return
    drawQueued = true
    requestAnimationFrame(() => {
      drawQueued = false
      if (alive) draw()
    })
  }

  function draw() {
    const view = getView()
    const aspect = view.aspect
    const own = canNote() ? notes.get(String(view.document)) : null
    const page = own ? readPage(own.conn.doc, notesKey(view.page)) : { strokes: [], notes: [] }
    const room = inkDoc ? readPage(inkDoc, inkKey(view.document, view.page)) : { strokes: [] }
    drawStrokes(notesLayer, page.strokes, aspect)
    drawStrokes(inkLayer, room.strokes, aspect)
    draft.setAttribute('viewBox', notesLayer.getAttribute('viewBox'))
    frame.dataset.strokes = String(page.strokes.length)
    frame.dataset.notes = String(page.notes.length)
    frame.dataset.roomStrokes = String(room.strokes.length)
    replaceContent(
      pins,
      page.notes.map((note) =>
        h(
          'button',
          {
            type: 'button',
            class: 'pin',
            'data-key': `pin-${note.id}`,
            'data-id': note.id,
            style: `left:${note.x * 100}%;top:${note.y * 100}%;--note:${safeColor(note.color)}`,
            'aria-label': t('annotate.noteLabel', { text: note.text }),
            title: note.text,
            onclick: (e) => {
              e.stopPropagation()
              if (state.tool === 'eraser') erase([note.id])
              else openEditor(note)
            },
          },
          h('span', { class: 'pin-text' }, note.text),
        ),
      ),
    )
    renderNoteList(page.notes)
    renderEditor()
  }

  const safeColor = (c) => (/^#[0-9a-fA-F]{6}$/.test(c) ? c : NOTE_COLOR)

  function erase(ids) {
    const a = active()
    if (a && ids.length) removeIds(a.doc, a.key, ids)
  }

  const pointFrom = (e) => {
    const r = frame.getBoundingClientRect()
    return [Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)), Math.min(1, Math.max(0, (e.clientY - r.top) / r.height))]
  }

  let stroke = null // {points, path}
  let lastPointerAt = 0

  surface.addEventListener('pointerdown', (e) => {
    if (state.tool === 'read' || e.button > 0) return
    const a = active()
    if (!a) return
    e.preventDefault()
    const [x, y] = pointFrom(e)
    if (state.tool === 'note') {
      openEditor({ id: null, x, y, text: '' })
      return
    }
    surface.setPointerCapture(e.pointerId)
    if (state.tool === 'eraser') {
      stroke = { eraser: true }
      erase(strokesNear(readPage(a.doc, a.key).strokes, x, y, ERASE_RADIUS, getView().aspect))
      return
    }
    stroke = { points: [x, y], tool: state.tool }
    renderDraft()
  })

  surface.addEventListener('pointermove', (e) => {
    if (!stroke) return
    const events = e.getCoalescedEvents?.() ?? [e]
    const a = active()
    for (const ev of events.length ? events : [e]) {
      const [x, y] = pointFrom(ev)
      if (stroke.eraser) {
        if (a) erase(strokesNear(readPage(a.doc, a.key).strokes, x, y, ERASE_RADIUS, getView().aspect))
      } else {
        stroke.points.push(x, y)
      }
    }
    if (!stroke.eraser) renderDraft()
  })

  const finish = () => {
    if (!stroke) return
    const done = stroke
    stroke = null
    draft.replaceChildren()
    if (done.eraser) return
    const a = active()
    if (!a) return
    const width = WIDTH[done.tool]
    addStroke(a.doc, a.key, makeStroke(a.doc, { tool: done.tool, color: state.colors[done.tool], width, points: done.points, aspect: getView().aspect }))
  }
  surface.addEventListener('pointerup', finish)
  surface.addEventListener('pointercancel', finish)

  // The presenter's pointer: awareness on the ink document, in page fractions.
  function sendPointer(e) {
    const now = Date.now()
    if (now - lastPointerAt < POINTER_EVERY_MS || !ink?.writable) return
    lastPointerAt = now
    const [x, y] = pointFrom(e)
    ink.conn.awareness.setLocalStateField('pointer', { x: Math.round(x * 1000) / 1000, y: Math.round(y * 1000) / 1000 })
  }
  const clearPointer = () => {
    if (ink?.writable && ink.conn.awareness.getLocalState()?.pointer) ink.conn.awareness.setLocalStateField('pointer', null)
  }
  frame.addEventListener('pointermove', (e) => {
    if (state.toRoom && canInk() && state.onPresentedPage && state.tool === 'read') sendPointer(e)
  })
  frame.addEventListener('pointerleave', clearPointer)

  function renderDraft() {
    if (!stroke?.points) return
    draft.replaceChildren(
      strokeElement({ id: 'draft', tool: stroke.tool, color: state.colors[stroke.tool], width: WIDTH[stroke.tool], points: stroke.points }, getView().aspect),
    )
  }

  // -- notes editor ----------------------------------------------------------

  function openEditor(note) {
    state.editing = { id: note.id, x: note.x, y: note.y, text: note.text ?? '' }
    renderEditor()
    editorSlot.querySelector('textarea')?.focus()
  }

  function closeEditor() {
    state.editing = null
    renderEditor()
    frame.closest('.page-scroller')?.focus({ preventScroll: true })
  }

  function saveEditor(text) {
    const a = active()
    const editing = state.editing
    if (!a || !editing) return
    const value = text.trim()
    if (editing.id === null) {
      if (value) addNote(a.doc, a.key, { x: editing.x, y: editing.y, text: value })
    } else if (value) {
      updateNote(a.doc, a.key, editing.id, { text: value })
    } else {
      removeIds(a.doc, a.key, [editing.id])
    }
    closeEditor()
  }

  let editorFor = null
  function renderEditor() {
    const editing = state.editing
    if (!editing) {
      editorFor = null
      editorSlot.replaceChildren()
      return
    }
    const key = `${editing.id}:${editing.x}:${editing.y}`
    if (editorFor === key) return
    editorFor = key
    const area = h('textarea', { id: 'note-text', 'data-key': 'note-text', rows: 4, maxlength: 2000 })
    area.value = editing.text
    area.addEventListener('input', () => {
      editing.text = area.value
    })
    area.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault()
        closeEditor()
      } else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault()
        saveEditor(area.value)
      }
    })
    const left = Math.min(editing.x, 0.6) * 100
    const top = Math.min(editing.y, 0.8) * 100
    editorSlot.replaceChildren(
      h(
        'form',
        {
          class: 'note-editor',
          style: `left:${left}%;top:${top}%`,
          onsubmit: (e) => {
            e.preventDefault()
            saveEditor(area.value)
          },
          onpointerdown: (e) => e.stopPropagation(),
        },
        h('label', { for: 'note-text' }, editing.id ? t('annotate.editNote') : t('annotate.newNote')),
        area,
        h(
          'div',
          { class: 'row tight' },
          h('button', { type: 'submit', class: 'primary', 'data-key': 'note-save' }, t('annotate.save')),
          editing.id
            ? h('button', { type: 'button', 'data-key': 'note-delete', onclick: () => { erase([editing.id]); closeEditor() } }, t('annotate.delete'))
            : null,
          h('button', { type: 'button', 'data-key': 'note-cancel', onclick: closeEditor }, t('annotate.cancel')),
        ),
      ),
    )
  }

  function renderNoteList(list) {
    const open = noteList.open
    replaceContent(
      noteList,
      h('summary', {}, t('annotate.notesOnPage', { count: list.length })),
      h(
        'div',
        { class: 'note-pop' },
        list.length
          ? h(
              'ul',
              {},
              list.map((note) =>
                h(
                  'li',
                  {},
                  h('span', { class: 'note-text' }, note.text),
                  h('button', { type: 'button', 'data-key': `edit-${note.id}`, onclick: () => openEditor(note) }, t('annotate.edit')),
                  h('button', { type: 'button', 'data-key': `del-${note.id}`, onclick: () => erase([note.id]) }, t('annotate.delete')),
                ),
              ),
            )
          : null,
        h('button', { type: 'button', 'data-key': 'note-add', onclick: () => openEditor({ id: null, x: 0.05, y: 0.05, text: '' }) }, t('annotate.addNote')),
      ),
    )
    noteList.open = open
  }

  // -- toolbar -------------------------------------------------------------

  function setTool(tool) {
    state.tool = tool
    frame.dataset.tool = tool
    if (tool !== 'read') clearPointer()
    renderToolbar()
  }

  function undo(redo = false) {
    const a = active()
    if (!a) return
    if (redo) a.entry.undo.redo()
    else a.entry.undo.undo()
  }

  let shownToolbar = ''
  function renderToolbar() {
    if (!alive) return
    if (!canNote() && !canInk()) {
      toolbar.hidden = true
      shownToolbar = ''
      return
    }
    toolbar.hidden = false
    const a = active()
    const entry = a?.entry
    const notReady = entry && !entry.everSynced
    const offline = entry && entry.everSynced && entry.conn.status !== Status.LIVE
    const colors = state.tool === 'highlighter' ? HIGHLIGHT_COLORS : PEN_COLORS
    const showColors = state.tool === 'pen' || state.tool === 'highlighter'
    const documentId = getView().document
    // A socket trying again changes its status every few hundred
    // milliseconds; rebuilding the buttons each time would swallow a click
    // whose press and release land on different nodes. Rebuild only when
    // something shown changes.
    const shown = JSON.stringify([
      getLang(), state.tool, state.colors[state.tool], !!entry?.undo.canUndo(), !!entry?.undo.canRedo(),
      canInk() && !!state.onPresentedPage, state.toRoom, !!notReady, !!offline, canNote(), documentId ?? null,
    ])
    frame.dataset.target = target()
    if (shown === shownToolbar) return
    shownToolbar = shown
    toolbar.setAttribute('aria-label', t('annotate.toolbar'))
    replaceContent(
      toolbar,
      h(
        'div',
        { class: 'group', role: 'radiogroup', 'aria-label': t('annotate.tools') },
        TOOLS.map((tool) =>
          h(
            'button',
            {
              type: 'button',
              role: 'radio',
              'aria-checked': String(state.tool === tool),
              class: state.tool === tool ? 'tool on' : 'tool',
              'data-key': `tool-${tool}`,
              'data-tool': tool,
              onclick: () => setTool(tool),
            },
            t(`annotate.tool.${tool}`),
          ),
        ),
      ),
      showColors
        ? h(
            'div',
            { class: 'group', role: 'radiogroup', 'aria-label': t('annotate.color') },
            colors.map((color, i) =>
              h('button', {
                type: 'button',
                role: 'radio',
                class: 'swatch',
                style: `--swatch:${color}`,
                'aria-checked': String(state.colors[state.tool] === color),
                'aria-label': t(`annotate.color.${state.tool}.${i}`),
                'data-key': `color-${i}`,
                onclick: () => {
                  state.colors[state.tool] = color
                  renderToolbar()
                },
              }),
            ),
          )
        : null,
      h(
        'div',
        { class: 'group' },
        h('button', { type: 'button', 'data-key': 'undo', disabled: !entry?.undo.canUndo(), onclick: () => undo(false) }, t('annotate.undo')),
        h('button', { type: 'button', 'data-key': 'redo', disabled: !entry?.undo.canRedo(), onclick: () => undo(true) }, t('annotate.redo')),
      ),
      canInk() && state.onPresentedPage
        ? h(
            'label',
            { class: 'check' },
            h('input', {
              type: 'checkbox',
              'data-key': 'to-room',
              checked: state.toRoom,
              onchange: (e) => {
                state.toRoom = e.target.checked
                if (!state.toRoom) clearPointer()
                renderToolbar()
                queueDraw()
              },
            }),
            t('annotate.toRoom'),
          )
        : null,
      notReady ? h('span', { class: 'meta', role: 'status' }, t('annotate.loading')) : null,
      offline ? h('span', { class: 'warn-text', role: 'status' }, t('annotate.offline')) : null,
      canNote() ? noteList : null,
      canNote() && documentId !== null && documentId !== undefined
        ? h(
            'a',
            {
              class: 'button',
              href: annotatedUrl(documentId),
              download: '',
              'data-key': 'annotated',
              title: t('annotate.downloadHint'),
            },
            t('annotate.download'),
          )
        : null,
    )
  }

  // Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y, outside text fields.
  const onKey = (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return
    if (e.target.closest?.('input, textarea, select, [contenteditable]')) return
    const key = e.key.toLowerCase()
    if (key === 'z') {
      e.preventDefault()
      undo(e.shiftKey)
    } else if (key === 'y') {
      e.preventDefault()
      undo(true)
    }
  }
  document.addEventListener('keydown', onKey)
  const offLang = onLangChange(() => {
    renderToolbar()
    queueDraw()
  })
  frame.dataset.tool = state.tool

  return {
    toolbar,
    /** After a room change or a page turn. */
    update(room, { onPresentedPage }) {
      state.room = room
      state.onPresentedPage = onPresentedPage
      if (room) syncInk()
      if (!canInk()) state.toRoom = false
      notesEntry(getView().document)
      const view = getView()
      const viewKey = `${view.document}:${view.page}`
      if (state.editing && state.editingView !== viewKey) state.editing = null
      state.editingView = viewKey
      renderToolbar()
      queueDraw()
    },
    /** The page's size is known now. */
    refresh: queueDraw,
    destroy() {
      alive = false
      offLang()
      document.removeEventListener('keydown', onKey)
      clearPointer()
      for (const { conn, undo: manager } of notes.values()) {
        manager.destroy()
        conn.destroy()
      }
      notes.clear()
      ink?.undo.destroy()
      ink?.conn.destroy()
      inkDoc?.destroy()
    },
  }
}
