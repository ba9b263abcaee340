// One request for written opinions (#/opinions/ID): what is asked, its
// documents (watermarked pages), the member's own answer, and for the office
// and the chair the answers as they come and the summary.

import { h, replaceContent } from '../../../shared/dom.js'
import { getOpinion, opinionPageUrl, removeOpinionDocument } from '../../../shared/api.js'
import { t, errorMessage, label, getLang, onLangChange } from '../../../shared/i18n/index.js'
import { formatDate, formatDateTime } from '../../../shared/time.js'
import { createAnswerForm } from '../parts/opinion-answer.js'
import { createOfficePanel } from '../parts/opinion-office.js'

export function mountOpinion(root, id, ctx) {
  const state = { opinion: null, error: null, open: new Set() }
  const urls = new Map() // page url -> object URL, dropped with the screen
  let alive = true
  const reload = async () => {
    try {
      state.opinion = (await getOpinion(id)).opinion
      state.error = null
    } catch (err) {
      if (err.status === 401) return alive && ctx.unauthorized()
      state.error = err
    }
    if (!alive) return
    answer.set(state.opinion)
    office.set(state.opinion)
    render()
  }
  const answer = createAnswerForm({ id, unauthorized: ctx.unauthorized, onSaved: reload })
  const office = createOfficePanel({ id, unauthorized: ctx.unauthorized, onChanged: reload })

  async function page(img, url) {
    if (!urls.has(url)) {
      const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      if (!response.ok) return
      urls.set(url, URL.createObjectURL(await response.blob()))
    }
    if (alive) img.src = urls.get(url)
  }

  // Each page is watermarked for its reader on the server: fetched when it comes
  // near the screen, not all at once when a long draft is opened on a phone.
  const seen = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue
      seen.unobserve(entry.target)
      page(entry.target, entry.target.dataset.src)
    }
  }, { rootMargin: '600px 0px' })

  function later(img, url) {
    if (urls.has(url)) return page(img, url)
    img.dataset.src = url
    seen.observe(img)
  }

  async function remove(documentId) {
    try {
      await removeOpinionDocument(id, documentId)
    } catch (err) {
      if (err.status === 401) return alive && ctx.unauthorized()
      state.error = err
    }
    await reload()
  }

  function documents(o) {
    if (!o.documents.length) return h('p', { class: 'meta' }, t('opinions.noDocuments'))
    return h(
      'ul',
      { class: 'plain-list opinion-docs' },
      o.documents.map((d) =>
        h(
          'li',
          { 'data-document': d.id },
          h('button', { type: 'button', 'data-key': `o-doc-${d.id}`, 'aria-expanded': String(state.open.has(d.id)), onclick: () => { state.open.has(d.id) ? state.open.delete(d.id) : state.open.add(d.id); render() } }, d.title, ' ', h('span', { class: 'meta' }, t('opinions.pages', { count: d.page_count }))),
          o.status === 'draft' && o.you.office ? h('button', { type: 'button', class: 'danger', 'data-key': `o-doc-remove-${d.id}`, onclick: () => remove(d.id) }, t('opinions.removeDocument')) : null,
          state.open.has(d.id)
            ? h('div', { class: 'opinion-pages' }, Array.from({ length: d.page_count }, (_, i) => {
                const img = h('img', { alt: t('opinions.pageAlt', { title: d.title, page: i + 1 }), class: 'opinion-page', width: 1280, height: 1810 })
                later(img, opinionPageUrl(id, d.id, i + 1, d.confidentiality))
                return img
              }))
            : null,
        ),
      ),
    )
  }

  function render() {
    const o = state.opinion
    document.title = `${o?.title ?? t('opinions.title')} – ${t('app.name')}`
    if (state.error || !o) {
      replaceContent(root, h('p', { class: state.error ? 'error' : '', role: state.error ? 'alert' : 'status' }, state.error ? errorMessage(state.error) : t('app.loading')), h('a', { class: 'button', href: '#/opinions' }, t('opinions.back')))
      return
    }
    replaceContent(
      root,
      h('p', {}, h('a', { href: '#/opinions', 'data-key': 'opinions-back' }, t('opinions.back'))),
      h('h1', { class: 'opinion-title' }, o.title),
      h(
        'p',
        { class: 'meeting-tags' },
        h('span', { class: `tag opinion-${o.status}`, 'data-status': o.status }, label('opinions.status', o.status)),
        o.deadline ? h('span', { class: 'tag', 'data-deadline': o.deadline }, t('opinions.deadlineLong', { date: formatDate(`${o.deadline}T12:00:00+07:00`), days: o.working_days })) : null,
        o.issued_at ? h('span', { class: 'tag' }, t('opinions.issuedAt', { at: formatDateTime(o.issued_at) })) : null,
      ),
      o.description ? h('p', { class: 'opinion-description' }, o.description) : null,
      h('section', { class: 'panel', 'aria-labelledby': 'o-docs' }, h('h2', { id: 'o-docs' }, t('opinions.documents')), documents(o)),
      o.you.member ? answer.el : null,
      o.you.office || o.you.chair || o.status === 'issued' ? office.el : null,
      h('p', { class: 'meta small opinion-rule' }, o.rule?.[getLang() === 'en' ? 'en' : 'vi']),
    )
  }

  const offLang = onLangChange(() => {
    answer.render()
    office.render()
    render()
  })
  render()
  reload()
  return {
    destroy() {
      alive = false
      offLang()
      seen.disconnect()
      for (const url of urls.values()) URL.revokeObjectURL(url)
    },
  }
}
