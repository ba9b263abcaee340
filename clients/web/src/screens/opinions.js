// Written opinions (phiếu lấy ý kiến): the caller's requests, a search over
// them, and for the office the form that prepares a new one (#/opinions/new).

import { h, replaceContent } from '../../../shared/dom.js'
import { listOpinions, search } from '../../../shared/api.js'
import { t, errorMessage, label, onLangChange } from '../../../shared/i18n/index.js'
import { formatDate } from '../../../shared/time.js'
import { snippetNodes } from '../../../shared/snippet.js'
import { createOpinionForm } from '../parts/opinion-new.js'

export function mountOpinions(root, ctx, { creating = false } = {}) {
  const state = { list: null, mayCreate: false, error: null, hits: null, query: '' }
  let alive = true
  const query = h('input', { id: 'opinion-search', 'data-key': 'opinion-search', type: 'search', autocomplete: 'off' })
  const form = creating ? createOpinionForm({ unauthorized: ctx.unauthorized, onCreated: (id) => { location.hash = `#/opinions/${id}` } }) : null

  async function load() {
    try {
      const data = await listOpinions()
      state.list = data.opinions ?? []
      state.mayCreate = !!data.may_create
    } catch (err) {
      if (err.status === 401) return alive && ctx.unauthorized()
      state.error = err
    }
    if (alive) render()
  }

  async function find(e) {
    e.preventDefault()
    state.query = query.value.trim()
    if (!state.query) {
      state.hits = null
      return render()
    }
    try {
      const data = await search(state.query)
      state.hits = (data.results ?? []).filter((hit) => hit.kind === 'opinion')
    } catch (err) {
      if (err.status === 401) return alive && ctx.unauthorized()
      state.error = err
    }
    if (alive) render()
  }

  function card(item, snippet) {
    return h(
      'li',
      { class: 'opinion-item', 'data-opinion': item.id },
      h(
        'a',
        { class: 'meeting-card', href: `#/opinions/${encodeURIComponent(item.id)}`, 'data-key': `opinion-${item.id}` },
        h('span', { class: 'meeting-title' }, item.title),
        item.deadline ? h('span', { class: 'meeting-when' }, t('opinions.deadline', { date: formatDate(`${item.deadline}T12:00:00+07:00`) })) : null,
        item.status
          ? h(
              'span',
              { class: 'meeting-tags' },
              h('span', { class: `tag opinion-${item.status}`, 'data-status': item.status }, label('opinions.status', item.status)),
              typeof item.answered === 'boolean' ? h('span', { class: `tag ${item.answered ? 'passed' : 'new'}`, 'data-answered': String(item.answered) }, item.answered ? t('opinions.youAnswered') : t('opinions.youHaveNot')) : null,
            )
          : null,
        snippet ? h('span', { class: 'snippet' }, snippetNodes(snippet)) : null,
      ),
    )
  }

  function body() {
    if (state.error) return h('p', { class: 'error', role: 'alert' }, errorMessage(state.error))
    if (state.list === null) return h('p', { role: 'status' }, t('app.loading'))
    if (state.hits) {
      return h(
        'section',
        { 'data-section': 'found' },
        h('h2', {}, t('opinions.found', { count: state.hits.length, query: state.query })),
        h('ul', { class: 'meeting-list' }, state.hits.map((hit) => card({ id: hit.opinion_id, title: hit.title }, hit.snippet))),
      )
    }
    if (!state.list.length) return h('p', { class: 'meta' }, t('opinions.empty'))
    return h('ul', { class: 'meeting-list' }, state.list.map((item) => card(item)))
  }

  function render() {
    document.title = `${t('opinions.title')} – ${t('app.name')}`
    replaceContent(
      root,
      h(
        'div',
        { class: 'title-row' },
        h('h1', {}, creating ? t('opinions.new') : t('opinions.title')),
        !creating && state.mayCreate ? h('a', { class: 'button primary-link', href: '#/opinions/new', 'data-key': 'new-opinion' }, t('opinions.new')) : null,
        creating ? h('a', { class: 'button', href: '#/opinions' }, t('opinions.back')) : null,
      ),
      creating ? form.el : null,
      creating
        ? null
        : h(
            'form',
            { class: 'meeting-search', role: 'search', onsubmit: find },
            h('label', { for: 'opinion-search' }, t('opinions.search')),
            h('div', { class: 'row tight' }, query, h('button', { type: 'submit', 'data-key': 'opinion-search-go' }, t('search.go'))),
          ),
      creating ? null : body(),
    )
  }

  const offLang = onLangChange(() => {
    form?.render()
    render()
  })
  render()
  if (!creating) load()
  return {
    destroy() {
      alive = false
      offLang()
    },
  }
}
