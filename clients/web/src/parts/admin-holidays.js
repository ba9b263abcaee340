// The holiday calendar the working-day rules count with (Decision 45): the
// national days for every body, read-only here, and the body's own days off.

import { h, replaceContent } from '../../../shared/dom.js'
import { listHolidays, addHoliday, removeHoliday } from '../../../shared/api.js'
import { t } from '../../../shared/i18n/index.js'
import { actions, adminError, noticeLine, field } from './admin-common.js'

/** dd/mm/yyyy (as typed in Vietnam) to yyyy-mm-dd; null when it is no date. */
export function isoDay(text) {
  const m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text)
  if (!m) return null
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const date = new Date(Date.UTC(y, mo - 1, d))
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null
  return `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

const shown = (iso) => iso.split('-').reverse().join('/')

export function createHolidaysAdmin(ctx) {
  const state = { holidays: null, notice: null }
  const el = h('section', { class: 'panel admin-holidays', 'aria-labelledby': 'a-holidays' })
  const day = h('input', { id: 'a-holiday-day', 'data-key': 'a-holiday-day', inputmode: 'numeric', placeholder: 'dd/mm/yyyy', size: 10, autocomplete: 'off' })
  const name = h('input', { id: 'a-holiday-name', 'data-key': 'a-holiday-name', maxlength: 200, autocomplete: 'off' })

  async function load() {
    try {
      state.holidays = (await listHolidays()).holidays ?? []
    } catch (err) {
      if (err.status === 401) return ctx.unauthorized()
      state.notice = { kind: 'error', text: adminError(err) }
    }
    render()
  }
  const run = actions(ctx, state, load)

  async function add(e) {
    e.preventDefault()
    const iso = isoDay(day.value)
    if (!iso) {
      state.notice = { kind: 'error', text: t('admin.holidays.badDay') }
      return render()
    }
    if (await run(() => addHoliday(iso, name.value.trim()), t('admin.holidays.added', { day: shown(iso) }))) {
      day.value = name.value = ''
      render()
    }
  }

  function render() {
    const year = new Date().getFullYear()
    const list = (state.holidays ?? []).filter((x) => Number(x.day.slice(0, 4)) >= year - 1)
    replaceContent(
      el,
      h('h2', { id: 'a-holidays' }, t('admin.holidays.title')),
      h('p', { class: 'meta small' }, t('admin.holidays.hint')),
      h(
        'form',
        { class: 'row', onsubmit: add },
        field('a-holiday-day', t('admin.holidays.day'), day),
        field('a-holiday-name', t('admin.holidays.name'), name),
        h('button', { type: 'submit', class: 'primary', 'data-key': 'a-holiday-add' }, t('admin.add')),
      ),
      noticeLine(state.notice),
      state.holidays === null
        ? h('p', { role: 'status' }, t('app.loading'))
        : h(
            'ul',
            { class: 'edit-list holidays' },
            list.map((x) =>
              h(
                'li',
                { 'data-day': x.day },
                h('div', { class: 'grow' }, h('strong', {}, shown(x.day)), ` · ${x.name}`),
                x.national
                  ? h('span', { class: 'tag' }, t('admin.holidays.national'))
                  : h('button', { type: 'button', class: 'danger', 'data-key': `a-holiday-remove-${x.day}`, onclick: () => run(() => removeHoliday(x.day), t('admin.holidays.removed', { day: shown(x.day) })) }, t('admin.remove')),
              ),
            ),
          ),
    )
  }

  render()
  load()
  return { el, render, destroy() {} }
}
