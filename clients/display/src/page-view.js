// The presented page on the projector, with the presenter's ink and pointer
// (meeting/{id}/ink: strokes in the document, the pointer in awareness).
// The page fills its box as the presenter chose (fit: its whole height, or
// its width), times the presenter's zoom, and the point of the page the
// presenter looks at (x, y: shares of width and height) sits in the middle
// of the box, as far as the page's edges allow; without a point, the
// top-left corner (a zoomed page never loses its left edge by default).
// Zoomed past the 1920-px image, the page is asked again at 3840 px
// (`w=zoomed`, for the display only), so 200 % stays sharp.

import { h } from '../../shared/dom.js'
import { LiveConnection, websocketUrl } from '../../shared/live.js'
import { pageUrl, fetchImage } from '../../shared/images.js'
import { inkPath, inkKey, readPage } from '../../shared/annotations.js'
import { makeLayer, drawStrokes } from '../../shared/ink-svg.js'
import { sameId } from '../../shared/room.js'

const A4 = Math.SQRT2
const SIZES = { projector: 1920, zoomed: 3840 }

const within = (value, low, high, otherwise) => {
  const n = Number(value)
  return Number.isFinite(n) && value !== null && value !== '' ? Math.min(high, Math.max(low, n)) : otherwise
}

/**
 * Where the page goes in a box: {width, height, left, top} in px.
 * @param {{fit?: string, zoom?: number, x?: number, y?: number}} p the presented state
 */
export function placePage(p, aspect, boxW, boxH) {
  const zoom = within(p.zoom, 0.25, 8, 1)
  const width = (p.fit === 'width' ? boxW : boxH / aspect) * zoom
  const height = width * aspect
  // Smaller than the box: centred. Larger: the presenter's point in the
  // middle, but no empty band beyond an edge of the page.
  const place = (size, box, at) => (size <= box ? (box - size) / 2 : Math.min(0, Math.max(box - size, box / 2 - at * size)))
  return { width, height, left: place(width, boxW, within(p.x, 0, 1, 0)), top: place(height, boxH, within(p.y, 0, 1, 0)) }
}

export function createPageView(meetingId) {
  const ink = new LiveConnection(websocketUrl(inkPath(meetingId)), { readOnly: true, awareness: null })
  const img = h('img', { class: 'page-image', alt: '' })
  const layer = makeLayer('ink-layer')
  const pointer = h('div', { class: 'pointer', hidden: true })
  const frame = h('div', { class: 'page-frame' }, img, layer, pointer)
  const el = h('div', { class: 'page-box' }, frame)
  const state = { key: '', aspect: new Map(), presenting: null, people: {}, documents: [], role: null, zoomedRefused: false }
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
    const box = { w: el.clientWidth, h: el.clientHeight }
    if (!box.w || !box.h) return // not laid out yet: the resize observer comes back
    const at = placePage(p, aspectOf(p), box.w, box.h)
    frame.style.width = `${at.width}px`
    frame.style.height = `${at.height}px`
    frame.style.left = `${at.left}px`
    frame.style.top = `${at.top}px`
    el.dataset.fit = p.fit === 'width' ? 'width' : 'height'
    el.dataset.zoom = String(within(p.zoom, 0.25, 8, 1))
  }

  /** The image size the frame needs: its width in device pixels, past 1920 with a margin. */
  function size() {
    const need = (parseFloat(frame.style.width) || 0) * (globalThis.devicePixelRatio || 1)
    return !state.zoomedRefused && need > SIZES.projector * 1.1 ? 'zoomed' : 'projector'
  }

  async function load(p) {
    const page = `${p.document}:${p.page}`
    const w = size()
    const key = `${page}:${w}`
    if (key === state.key) return
    state.key = key
    const mine = ++seq
    const d = state.documents.find((x) => sameId(x.id, p.document))
    el.dataset.page = page
    try {
      const src = await fetchImage(pageUrl(p.document, p.page, { w, confidentiality: d?.confidentiality ?? 'internal' }))
      if (mine !== seq) return
      img.onload = () => {
        if (mine !== seq || !img.naturalWidth) return
        const aspect = img.naturalHeight / img.naturalWidth
        state.aspect.set(page, aspect)
        state.aspect.set(`${p.document}`, aspect)
        layout()
        draw()
        el.dataset.loaded = page
        el.dataset.width = String(img.naturalWidth)
      }
      // The image on screen stays until the new one is decoded (the
      // browser's pending request): sharpening a zoom shows no blank.
      img.src = src
      delete el.dataset.error
    } catch (err) {
      if (mine !== seq) return
      state.key = '' // try again on the next change
      if (w === 'zoomed' && err.status === 403) {
        // Not a room's display (someone watching /display/ from a laptop): 1920 px it is.
        state.zoomedRefused = true
        load(p)
        return
      }
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
  const resized = globalThis.ResizeObserver
    ? new ResizeObserver(() => {
        layout()
        const p = current()
        if (p) load(p)
      })
    : null
  resized?.observe(el)

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
      layout() // first: the image size asked depends on the frame's
      load(p)
      draw()
      return true
    },
    destroy() {
      resized?.disconnect()
      ink.destroy()
    },
  }
}
