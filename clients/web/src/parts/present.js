// The chair's "present" control: a document, a page, a zoom, how the page
// fits the projector (its whole height, or its width), prev/next page, and
// who presents (presenter.set).

import { h } from '../../../shared/dom.js'
import { sameId } from '../../../shared/room.js'
import { t } from '../../../shared/i18n/index.js'

export const PRESENT_ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3]
export const PRESENT_FITS = ['height', 'width']

/**
 * @param {object} props
 * @param {object[]} props.documents [{id, title, page_count}]
 * @param {{document: any, page: number, zoom: number, fit?: string}} props.selection what the form shows
 * @param {boolean} props.busy an intent is on its way
 * @param {(selection: object) => void} props.onEdit the user changed the form
 * @param {(document: any, page: number, zoom: number, fit: string) => void} props.onPresent
 * @param {(step: number) => void} props.onStep previous (-1) or next (+1) page
 */
export function presentControl({ documents, selection, busy, onEdit, onPresent, onStep }) {
  if (documents.length === 0) return h('p', {}, t('present.noDocuments'))
  const doc = documents.find((d) => sameId(d.id, selection.document)) ?? documents[0]
  const max = doc.page_count || undefined
  const zoom = Number(selection.zoom) || 1
  const fit = PRESENT_FITS.includes(selection.fit) ? selection.fit : 'height'
  const aria = busy ? 'true' : false

  return h(
    'form',
    {
      class: 'present',
      novalidate: true, // out-of-range pages are clamped, not refused
      'aria-labelledby': 'present-title',
      onsubmit: (e) => {
        e.preventDefault()
        // The form's own values: they may have been typed after this render.
        const typed = e.target.elements['present-page'].value
        const z = Number(e.target.elements['present-zoom'].value) || 1
        const f = e.target.elements['present-fit'].value
        if (!busy) onPresent(doc.id, clampPage(typed, max), z, f)
      },
    },
    h('h3', { id: 'present-title' }, t('present.title')),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'present-doc' }, t('present.document')),
      h(
        'select',
        {
          id: 'present-doc',
          'data-key': 'present-doc',
          onchange: (e) => {
            const chosen = documents[Number(e.target.value)]
            onEdit({ document: chosen.id, page: 1, zoom, fit })
          },
        },
        documents.map((d, i) => h('option', { value: String(i), selected: sameId(d.id, doc.id) }, d.title)),
      ),
    ),
    h(
      'div',
      { class: 'row' },
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'present-page' }, t('present.page')),
        h('input', {
          id: 'present-page',
          'data-key': 'present-page',
          type: 'number',
          inputmode: 'numeric',
          min: 1,
          max,
          value: String(selection.page),
          oninput: (e) => onEdit({ document: doc.id, page: Number(e.target.value) || 1, zoom, fit }),
        }),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'present-zoom' }, t('present.zoom')),
        h(
          'select',
          {
            id: 'present-zoom',
            'data-key': 'present-zoom',
            onchange: (e) => onEdit({ document: doc.id, page: selection.page, zoom: Number(e.target.value), fit }),
          },
          PRESENT_ZOOMS.map((z) => h('option', { value: String(z), selected: Math.abs(z - zoom) < 0.01 }, `${Math.round(z * 100)}%`)),
        ),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'present-fit' }, t('present.fit')),
        h(
          'select',
          {
            id: 'present-fit',
            name: 'present-fit',
            'data-key': 'present-fit',
            onchange: (e) => onEdit({ document: doc.id, page: selection.page, zoom, fit: e.target.value }),
          },
          PRESENT_FITS.map((f) => h('option', { value: f, selected: f === fit }, t(`present.fit.${f}`))),
        ),
      ),
    ),
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'button', 'data-key': 'page-prev-present', 'aria-disabled': aria, onclick: () => !busy && onStep(-1) }, t('present.prevPage')),
      h('button', { type: 'submit', class: 'primary', 'data-key': 'page-show', 'aria-disabled': aria }, t('present.show')),
      h('button', { type: 'button', 'data-key': 'page-next-present', 'aria-disabled': aria, onclick: () => !busy && onStep(1) }, t('present.nextPage')),
    ),
  )
}

/** Who presents: the chair (null) or a participant. */
export function presenterControl({ people, presenter, busy, onSet }) {
  const candidates = Object.values(people)
    .filter((p) => p && p.role !== 'display')
    .sort((a, b) => String(a.name).localeCompare(String(b.name), 'vi'))
  return h(
    'div',
    { class: 'field' },
    h('label', { for: 'presenter' }, t('present.presenter')),
    h(
      'select',
      {
        id: 'presenter',
        'data-key': 'presenter',
        'aria-disabled': busy ? 'true' : false,
        onchange: (e) => onSet(e.target.value === '' ? null : Number(e.target.value)),
      },
      h('option', { value: '', selected: presenter === null || presenter === undefined }, t('present.chairPresents')),
      candidates.map((p) =>
        h('option', { value: String(p.id), selected: sameId(p.id, presenter) }, `${p.name}${p.unit ? ` (${p.unit})` : ''}`),
      ),
    ),
  )
}

export function clampPage(page, max) {
  const n = Math.round(Number(page) || 1)
  return Math.max(1, max ? Math.min(max, n) : n)
}

// -- moving a zoomed page on the projector ---------------------------------------

// The projector's page box, width over height: 1920×1080 less the 420-px bar
// beside the page (clients/display). Enough to know how much of a zoomed
// page the wall shows, so one press moves by half of what is seen.
const WALL = 1500 / 1080
const A4 = Math.SQRT2
const PAN_DIRECTIONS = [
  ['left', -1, 0, '←'],
  ['up', 0, -1, '↑'],
  ['down', 0, 1, '↓'],
  ['right', 1, 0, '→'],
]

/** The share of the page's width and height on the wall ({w, h}, at most 1). */
export function wallShare(p, aspect = A4) {
  const zoom = Number(p?.zoom) || 1
  const byWidth = p?.fit === 'width'
  return {
    w: Math.min(1, byWidth ? 1 / zoom : (WALL * aspect) / zoom),
    h: Math.min(1, byWidth ? 1 / (zoom * aspect * WALL) : 1 / zoom),
  }
}

/**
 * The point (x, y: the middle of the wall, shares of the page) one press
 * toward dx, dy (-1, 0, 1) moves to: half the part on the wall, never past
 * an edge. Starts from where the wall really is (a point near an edge shows
 * the edge), so each press moves the picture.
 */
export function panned(p, dx, dy, aspect = A4) {
  const share = wallShare(p, aspect)
  const round = (v) => Math.round(v * 1000) / 1000
  const move = (at, seen, d) => {
    const n = Number(at)
    const from = Number.isFinite(n) ? n : 0
    if (seen >= 1) return round(Math.min(1, Math.max(0, from)))
    const low = seen / 2
    const high = 1 - seen / 2
    const shown = Math.min(high, Math.max(low, from))
    return round(Math.min(high, Math.max(low, shown + (d * seen) / 2)))
  }
  return { x: move(p?.x, share.w, dx), y: move(p?.y, share.h, dy) }
}

/**
 * Arrows that move the presented page on the wall, shown while part of it
 * is off the wall; each sends present.page with the same page, zoom and fit.
 * @param {{presenting: object, busy: boolean, onPan: (point: {x: number, y: number}) => void}} props
 */
export function panControl({ presenting, busy, onPan }) {
  const p = presenting ?? {}
  if (p.document === null || p.document === undefined) return null
  const share = wallShare(p)
  if (share.w >= 1 && share.h >= 1) return null
  const here = panned(p, 0, 0)
  return h(
    'div',
    { class: 'pan', role: 'group', 'aria-label': t('present.pan'), 'data-key': 'pan' },
    h('span', { class: 'meta' }, t('present.pan')),
    PAN_DIRECTIONS.map(([name, dx, dy, arrow]) => {
      const to = panned(p, dx, dy)
      const stuck = to.x === here.x && to.y === here.y
      return h(
        'button',
        {
          type: 'button',
          'data-key': `pan-${name}`,
          'aria-label': t(`present.pan${name[0].toUpperCase()}${name.slice(1)}`),
          title: t(`present.pan${name[0].toUpperCase()}${name.slice(1)}`),
          'aria-disabled': busy || stuck ? 'true' : false,
          onclick: () => !busy && !stuck && onPan(to),
        },
        arrow,
      )
    }),
  )
}
