// "Kiểm tra phiếu": after a secret poll closes, every receipt with its choice
// is shown to those who voted in it (GET /api/polls/{id}/receipts), so a voter
// can see that their ballot was counted as cast. Their own receipts (kept in
// memory from the cast reply, never stored) are checked at once and
// highlighted; a voter may type a code. A modal dialog: Escape or "Đóng" closes it and
// focus goes back to the button that opened it.

import { h, replaceContent } from '../../../shared/dom.js'
import { pollReceipts } from '../../../shared/api.js'
import { optionLabels, normalizeReceipt, checkReceipt, formatShare } from '../../../shared/polls.js'
import { t, getLang, errorMessage } from '../../../shared/i18n/index.js'

let current = null

/**
 * @param {object} o
 * @param {object} o.poll a closed secret poll of the room
 * @param {{receipt, choice, forUser, name}[]} o.own the caller's receipts in this poll
 * @param {() => void} [o.restoreFocus] puts focus back where the dialog was opened from
 */
export function openReceiptCheck({ poll, own = [], restoreFocus = null }) {
  current?.close()
  const labels = optionLabels(poll)
  const state = { loading: true, error: '', list: [], counts: null, typed: null }
  const input = h('input', {
    id: 'receipt-input',
    'data-key': 'receipt-input',
    class: 'receipt-input',
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: 'false',
    maxlength: 24,
    'aria-describedby': 'receipt-input-hint',
  })
  const body = h('div', { class: 'receipt-body' })
  const dialog = h(
    'dialog',
    { class: 'receipt-dialog', 'aria-labelledby': 'receipt-title', 'data-poll': poll.id },
    h(
      'div',
      { class: 'dialog-head' },
      h('h2', { id: 'receipt-title' }, t('receipts.title')),
      h('button', { type: 'button', 'data-key': 'receipt-close', onclick: () => dialog.close() }, t('receipts.close')),
    ),
    h('p', { class: 'question' }, poll.question),
    h('p', { class: 'meta' }, t('receipts.intro')),
    body,
  )

  function verdictLine(result, who) {
    const cls = result.state === 'ok' ? 'callout ok' : result.state === 'invalid' ? 'callout warn' : 'callout bad'
    const text =
      result.state === 'ok'
        ? t(who ? 'receipts.ownOk' : 'receipts.found', { code: result.code, option: result.option })
        : result.state === 'differs'
          ? t('receipts.differs', { code: result.code, option: result.option, mine: result.mine })
          : result.state === 'missing'
            ? t(who ? 'receipts.ownMissing' : 'receipts.missing', { code: result.code })
            : t('receipts.invalid')
    return h(
      'div',
      { class: `verdict-line ${cls}`, 'data-verdict': result.state, 'data-code': result.code ?? '' },
      who ? h('p', { class: 'who' }, who) : null,
      h('p', { class: 'big-text' }, result.state === 'ok' ? '✓ ' : '⚠ ', text),
    )
  }

  function check(e) {
    e.preventDefault()
    const code = input.value
    if (!code.trim()) {
      input.focus()
      return
    }
    const mine = own.find((r) => r.receipt === normalizeReceipt(code))
    state.typed = { result: checkReceipt(state.list, labels, code, mine?.choice), who: mine ? whoOf(mine) : '' }
    render()
    body.querySelector('[data-typed] .verdict-line')?.scrollIntoView?.({ block: 'nearest' })
    body.querySelector('tr.found')?.scrollIntoView?.({ block: 'nearest' })
  }

  const whoOf = (r) => (r.forUser === null || r.forUser === undefined ? t('receipts.yours') : t('receipts.forName', { name: r.name }))

  function table() {
    const mine = new Map(own.map((r) => [r.receipt, r]))
    const found = state.typed?.result?.code
    const total = state.list.length
    return h(
      'div',
      { class: 'receipt-table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': 'receipt-caption' },
      h(
        'table',
        { class: 'people receipt-table' },
        h('caption', { id: 'receipt-caption' }, t('receipts.list', { count: total })),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('receipts.code')), h('th', { scope: 'col' }, t('receipts.choice')))),
        h(
          'tbody',
          {},
          state.list.map((r) => {
            const m = mine.get(r.receipt)
            const cls = [m ? 'mine' : '', r.receipt === found ? 'found' : ''].filter(Boolean).join(' ')
            return h(
              'tr',
              { class: cls || null, 'data-receipt': r.receipt, 'data-mine': m ? 'true' : null },
              h('td', { class: 'receipt-cell' }, r.receipt, m ? h('span', { class: 'tag mine-tag' }, whoOf(m)) : null),
              h('td', {}, labels[r.choice] ?? String(r.choice)),
            )
          }),
        ),
      ),
    )
  }

  function counts() {
    const list = state.counts ?? labels.map((_, i) => state.list.filter((r) => Number(r.choice) === i).length)
    const total = list.reduce((a, b) => a + Number(b || 0), 0)
    return h(
      'ul',
      { class: 'receipt-counts' },
      labels.map((label, i) => h('li', {}, `${label}: ${t('poll.votes', { count: list[i] ?? 0, share: formatShare(total ? (list[i] ?? 0) / total : 0, getLang()) })}`)),
    )
  }

  function render() {
    if (state.loading) {
      replaceContent(body, h('p', { role: 'status' }, t('receipts.loading')))
      return
    }
    if (state.error) {
      replaceContent(body, h('p', { class: 'error', role: 'alert' }, state.error))
      return
    }
    replaceContent(
      body,
      own.length
        ? h(
            'div',
            { class: 'own-checks', role: 'status', 'data-key': 'own-checks' },
            own.map((r) => verdictLine(checkReceipt(state.list, labels, r.receipt, r.choice), whoOf(r))),
          )
        : h('p', { class: 'meta' }, t('receipts.noneKept')),
      h(
        'form',
        { class: 'receipt-form', onsubmit: check },
        h('label', { for: 'receipt-input' }, t('receipts.type')),
        h('div', { class: 'row tight' }, input, h('button', { type: 'submit', class: 'primary', 'data-key': 'receipt-check' }, t('receipts.check'))),
        h('p', { id: 'receipt-input-hint', class: 'meta small' }, t('receipts.hint')),
      ),
      h('div', { 'data-typed': '', role: 'status' }, state.typed ? verdictLine(state.typed.result, state.typed.who) : null),
      counts(),
      table(),
    )
  }

  async function load() {
    render()
    try {
      const data = await pollReceipts(poll.id)
      state.list = (data.receipts ?? []).map((r) => ({ receipt: String(r.receipt), choice: Number(r.choice) }))
      state.counts = Array.isArray(data.counts) ? data.counts : null
    } catch (err) {
      state.error = err.status === 409 ? t('receipts.notYet') : errorMessage(err)
    }
    state.loading = false
    if (!dialog.open) return
    render()
    body.querySelector('tr.mine')?.scrollIntoView?.({ block: 'nearest' })
  }

  dialog.addEventListener('close', () => {
    dialog.remove()
    if (current === handle) current = null
    restoreFocus?.()
  })
  document.body.append(dialog)
  dialog.showModal()
  dialog.querySelector('[data-key="receipt-close"]')?.focus()
  const handle = { close: () => dialog.open && dialog.close(), el: dialog }
  current = handle
  load()
  return handle
}

/** Leaving the meeting closes the dialog. */
export function closeReceiptCheck() {
  current?.close()
}
