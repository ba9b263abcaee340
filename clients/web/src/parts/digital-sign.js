// The digital signatures of one approved version (minutes) or issued notice,
// and the button for the person named in a block who has not signed yet
// (transport/signing.py). The signed file is the version's download.

import { h, replaceContent } from '../../../shared/dom.js'
import { t, errorMessage } from '../../../shared/i18n/index.js'
import { formatDateTime } from '../../../shared/time.js'
import { confirmDialog } from '../../../shared/confirm.js'

/**
 * @param {object} item a version or notice with `signatures` and `sign`
 * @param {object} options
 * @param {boolean} options.signingKey the body has a key configured
 * @param {() => Promise<unknown>} options.sign POSTs the signature
 * @param {() => void} options.done after a signature, or an error shown
 * @param {string} options.key data-key suffix
 */
export function signatureCell(item, { signingKey, sign, done, key }) {
  const signed = item.signatures ?? []
  const state = { busy: false, error: '' }
  const el = h('div', { class: 'digital-signatures', 'data-key': `signed-${key}` })

  async function act() {
    const yes = await confirmDialog({ title: t('dsign.confirmTitle'), body: t('dsign.confirmBody'), confirm: t('dsign.confirmYes') })
    if (!yes) return
    state.busy = true
    state.error = ''
    render()
    try {
      await sign()
      done()
    } catch (err) {
      state.busy = false
      state.error = errorMessage(err)
      render()
    }
  }

  function render() {
    replaceContent(
      el,
      ...(signed.length
        ? signed.map((s) => h('p', { class: 'ok-text small', 'data-signer': s.signer_id }, '✓ ', t('dsign.signedBy', { name: s.name, time: formatDateTime(s.signed_at) })))
        : [h('p', { class: 'meta small' }, t('dsign.none'))]),
      item.sign && signingKey
        ? h('button', { type: 'button', 'data-key': `sign-${key}`, disabled: state.busy, onclick: act }, state.busy ? t('dsign.signing') : t('dsign.sign'))
        : null,
      item.sign && !signingKey ? h('p', { class: 'meta small', 'data-key': `no-key-${key}` }, t('dsign.noKey')) : null,
      state.error ? h('p', { class: 'error', role: 'alert' }, state.error) : null,
    )
  }
  render()
  return el
}
