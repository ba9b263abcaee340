// The chair's "present" control: a document, a page, and prev/next page.

import { h } from '../../../shared/dom.js'
import { sameId } from '../../../shared/room.js'
import { t } from '../../../shared/i18n/index.js'

/**
 * @param {object} props
 * @param {object[]} props.documents [{id, title, page_count}]
 * @param {{document: any, page: number}} props.selection what the form shows
 * @param {boolean} props.busy an intent is on its way
 * @param {(selection: object) => void} props.onEdit the user changed the form
 * @param {(document: any, page: number) => void} props.onPresent
 * @param {(step: number) => void} props.onStep previous (-1) or next (+1) page
 */
export function presentControl({ documents, selection, busy, onEdit, onPresent, onStep }) {
  if (documents.length === 0) return h('p', {}, t('present.noDocuments'))
  const doc = documents.find((d) => sameId(d.id, selection.document)) ?? documents[0]
  const max = doc.page_count || undefined
  const aria = busy ? 'true' : false

  return h(
    'form',
    {
      class: 'present',
      novalidate: true, // out-of-range pages are clamped, not refused
      'aria-labelledby': 'present-title',
      onsubmit: (e) => {
        e.preventDefault()
        // The form's own value: it may have been typed after this render.
        const typed = e.target.elements['present-page'].value
        if (!busy) onPresent(doc.id, clampPage(typed, max))
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
            onEdit({ document: chosen.id, page: 1 })
          },
        },
        documents.map((d, i) =>
          h('option', { value: String(i), selected: sameId(d.id, doc.id) }, d.title),
        ),
      ),
    ),
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
        oninput: (e) => onEdit({ document: doc.id, page: Number(e.target.value) || 1 }),
      }),
    ),
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'button', 'data-key': 'page-prev', 'aria-disabled': aria, onclick: () => !busy && onStep(-1) }, t('present.prevPage')),
      h('button', { type: 'submit', class: 'primary', 'data-key': 'page-show', 'aria-disabled': aria }, t('present.show')),
      h('button', { type: 'button', 'data-key': 'page-next', 'aria-disabled': aria, onclick: () => !busy && onStep(1) }, t('present.nextPage')),
    ),
  )
}

export function clampPage(page, max) {
  const n = Math.round(Number(page) || 1)
  return Math.max(1, max ? Math.min(max, n) : n)
}
