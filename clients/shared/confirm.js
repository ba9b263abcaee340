// One small confirmation dialog for what cannot be taken back (deleting an
// agenda item, removing a participant, issuing the conclusion notice,
// opening the session early). A styled <dialog>, in the catalogue's
// language, that names what will be lost; never window.confirm, whose
// buttons speak the browser's language. The safe answer has the focus, so a
// held Enter key does not destroy anything.

import { h } from './dom.js'
import { t } from './i18n/index.js'

/**
 * @param {{title: string, body?: string|string[], confirm: string, cancel?: string, danger?: boolean}} what
 * @returns {Promise<boolean>} true only when the person pressed `confirm`
 */
export function confirmDialog({ title, body = [], confirm, cancel, danger = true }) {
  return new Promise((resolve) => {
    const lines = Array.isArray(body) ? body : [body]
    let answered = false
    const finish = (value) => {
      if (answered) return
      answered = true
      dialog.close()
      dialog.remove()
      resolve(value)
    }
    const no = h('button', { type: 'button', 'data-key': 'confirm-no', onclick: () => finish(false) }, cancel ?? t('confirm.cancel'))
    const yes = h('button', { type: 'button', class: danger ? 'danger' : 'primary', 'data-key': 'confirm-yes', onclick: () => finish(true) }, confirm)
    const dialog = h(
      'dialog',
      { class: 'confirm-dialog', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-body', 'data-key': 'confirm-dialog' },
      h('h2', { id: 'confirm-title' }, title),
      h('div', { id: 'confirm-body' }, lines.filter(Boolean).map((line) => h('p', {}, line))),
      h('div', { class: 'row end' }, no, yes),
    )
    // Escape closes the dialog: the same as "cancel".
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault()
      finish(false)
    })
    document.body.append(dialog)
    dialog.showModal()
    no.focus()
  })
}
