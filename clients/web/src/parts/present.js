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
