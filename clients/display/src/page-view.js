// The presented page on the projector, with the presenter's ink and pointer
// (meeting/{id}/ink: strokes in the document, the pointer in awareness).

import { h } from '../../shared/dom.js'
import { LiveConnection, websocketUrl } from '../../shared/live.js'
import { pageUrl, fetchImage } from '../../shared/images.js'
import { inkPath, inkKey, readPage } from '../../shared/annotations.js'
import { makeLayer, drawStrokes } from '../../shared/ink-svg.js'
import { sameId } from '../../shared/room.js'

const A4 = Math.SQRT2

export function createPageView(meetingId) {
  const ink = new LiveConnection(websocketUrl(inkPath(meetingId)), { readOnly: true, awareness: null })
  const img = h('img', { class: 'page-image', alt: '' })
  const layer = makeLayer('ink-layer')
  const pointer = h('div', { class: 'pointer', hidden: true })
  const frame = h('div', { class: 'page-frame' }, img, layer, pointer)
  const el = h('div', { class: 'page-box' }, frame)
  const state = { key: '', aspect: new Map(), presenting: null, people: {}, documents: [], role: null }
  let seq = 0
  let queued = false

  const current = () => {
    const p = state.presenting
    return p && p.document !== null && p.document !== undefined ? p : null
  }
  const aspectOf = (p) => state.aspect.get(`${p.document}:${p.page}`) ?? state.aspect.get(`${p.document}`) ?? A4

  function layout() {
    const p = current()
    if (!p) return
    const aspect = aspectOf(p)
    const boxW = el.clientWidth || 1200
    const boxH = el.clientHeight || 860
    const zoom = Math.min(4, Math.max(0.5, Number(p.zoom) || 1))
    // Fit the whole page at zoom 1; beyond that, grow from the top centre.
    const fit = Math.min(boxW, boxH / aspect)
    const width = fit * zoom
    frame.style.width = `${width}px`
    frame.style.height = `${width * aspect}px`
  }

  async function load(p) {
    const key = `${p.document}:${p.page}`
    if (key === state.key) return
    state.key = key
    const mine = ++seq
    const d = state.documents.find((x) => sameId(x.id, p.document))
    el.dataset.page = key
    try {
      const src = await fetchImage(pageUrl(p.document, p.page, { w: 'projector', confidentiality: d?.confidentiality ?? 'internal' }))
      if (mine !== seq) return
      img.onload = () => {
        if (mine !== seq || !img.naturalWidth) return
        const aspect = img.naturalHeight / img.naturalWidth
        state.aspect.set(key, aspect)
        state.aspect.set(`${p.document}`, aspect)
        layout()
        draw()
        el.dataset.loaded = key
      }
      img.src = src
      delete el.dataset.error
    } catch (err) {
      if (mine !== seq) return
      state.key = '' // try again on the next change
      el.dataset.error = String(err.code ?? 'error')
    }
  }

  function presenterState() {
    const named = state.presenting?.presenter
    for (const s of ink.awareness.getStates().values()) {
      const user = s?.user
      if (!user) continue
      const isPresenter = named !== null && named !== undefined ? sameId(user.id, named) : user.role === 'chair'
      if (isPresenter && s.pointer && typeof s.pointer.x === 'number') return s
    }
    return null
  }

  function draw() {
    const p = current()
    if (!p) return
    const aspect = aspectOf(p)
    const { strokes } = readPage(ink.doc, inkKey(p.document, p.page))
    drawStrokes(layer, strokes, aspect)
    frame.dataset.strokes = String(strokes.length)
    const s = presenterState()
    pointer.hidden = !s
    if (s) {
      pointer.style.left = `${Math.min(1, Math.max(0, s.pointer.x)) * 100}%`
      pointer.style.top = `${Math.min(1, Math.max(0, s.pointer.y)) * 100}%`
    }
  }

  function queueDraw() {
    if (queued) return
    queued = true
    requestAnimationFrame(() => {
      queued = false
      draw()
    })
  }

  ink.doc.on('update', queueDraw)
  ink.awareness.on('change', queueDraw)

  return {
    el,
    ink,
    /** @returns whether a page is shown */
    update({ presenting, documents }) {
      state.presenting = presenting
      state.documents = documents ?? []
      const p = current()
      el.hidden = !p
      if (!p) return false
      load(p)
      layout()
      draw()
      return true
    },
    destroy() {
      ink.destroy()
    },
  }
}
