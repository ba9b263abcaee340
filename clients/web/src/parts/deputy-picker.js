// Finding the person to send in one's place: a search box over the people
// of the body who may stand in (GET /api/meetings/{id}/deputies?q=, name,
// title or unit, with or without diacritics: "huong" finds "Hương"), the
// first matches as a list to pick from. The body has hundreds of people; a
// dropdown of all of them cannot be searched.

import { h, replaceContent } from '../../../shared/dom.js'
import { deputyCandidates } from '../../../shared/api.js'
import { t, errorMessage } from '../../../shared/i18n/index.js'

// Searching while typing, once the typing pauses.
const TYPING_PAUSE_MS = 250

export function createDeputyPicker({ meetingId, unauthorized, onChange = () => {} }) {
  const key = (name) => `inv-${name}-${meetingId}`
  const state = { people: null, chosen: null, error: null, asked: 0 }
  const el = h('div', { class: 'deputy-picker' })
  const box = h('input', { id: key('deputy-q'), 'data-key': key('deputy-q'), type: 'search', autocomplete: 'off', maxlength: 100, 'aria-describedby': key('deputy-q-hint') })
  const list = h('ul', { class: 'edit-list found deputy-found', 'aria-live': 'polite' })
  let timer = null

  async function find() {
    const asked = ++state.asked
    try {
      const people = (await deputyCandidates(meetingId, box.value.trim())).people ?? []
      if (asked !== state.asked) return // a later search answers
      state.people = people
      state.error = null
    } catch (err) {
      if (err.status === 401) return unauthorized()
      state.error = errorMessage(err)
    }
    renderList()
  }

  box.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(find, TYPING_PAUSE_MS)
  })
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { // the search, not the answer's form
      e.preventDefault()
      clearTimeout(timer)
      find()
    }
  })

  function choose(p) {
    state.chosen = p
    onChange(p)
    render()
  }

  function renderList() {
    const people = state.people
    replaceContent(
      list,
      state.error ? h('li', { class: 'error' }, state.error) : null,
      people === null
        ? h('li', { class: 'meta' }, t('app.loading'))
        : people.length
          ? people.map((p) =>
              h(
                'li',
                { 'data-candidate': p.user_id, class: state.chosen?.user_id === p.user_id ? 'chosen' : null },
                h('div', { class: 'grow' }, h('strong', {}, p.full_name), h('span', { class: 'meta' }, [p.title, p.unit].filter(Boolean).map((x) => ` · ${x}`).join(''))),
                h('button', { type: 'button', 'data-key': key(`pick-${p.user_id}`), 'aria-pressed': String(state.chosen?.user_id === p.user_id), onclick: () => choose(p) }, state.chosen?.user_id === p.user_id ? t('invitation.picked') : t('invitation.pick')),
              ),
            )
          : h('li', { class: 'meta', 'data-key': key('deputy-none') }, t('invitation.noDeputyFound')),
    )
  }

  function render() {
    const typing = document.activeElement === box // a redraw keeps the typing going
    replaceContent(
      el,
      h('label', { for: key('deputy-q') }, t('invitation.deputySearch')),
      box,
      h('p', { id: key('deputy-q-hint'), class: 'meta small' }, t('invitation.deputySearchHint')),
      state.chosen ? h('p', { class: 'deputy-chosen', 'data-key': key('deputy-chosen') }, t('invitation.deputyChosen', { name: [state.chosen.full_name, state.chosen.title].filter(Boolean).join(', ') })) : null,
      list,
    )
    renderList()
    if (typing) box.focus()
  }

  return {
    el,
    render,
    /** Opens with the first people of the body, the box focused. */
    open() {
      render()
      if (state.people === null) find()
      box.focus()
    },
    chosen: () => state.chosen,
  }
}
