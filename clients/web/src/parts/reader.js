// The document reader: one page at a time, thumbnails, zoom, search, and
// follow-the-presenter (on by default). Turning a page yourself leaves follow
// mode; a button brings you back. Annotations sit on the page (annotate.js).
//
// Zoom and the annotation tools stand beside the page and the follow notice
// floats over its corner, so one row of tools sits above the page. In the
// reading layout and full screen the page also takes what the window has
// left below that row, fitted whole.

import { h, replaceContent } from '../../../shared/dom.js'
import { sameId, mayPresentPage, mayPresent } from '../../../shared/room.js'
import { pageUrl, fetchImage } from '../../../shared/images.js'
import { search } from '../../../shared/api.js'
import { snippetNodes } from '../../../shared/snippet.js'
import { t, getLang, errorMessage, onLangChange } from '../../../shared/i18n/index.js'
import { signatureSummary } from '../../../shared/signatures.js'
import { createAnnotator } from './annotate.js'
import { followScroll, pagePoint } from './present-follow.js'

const ZOOMS = [0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 2.5, 3]
const A4 = Math.SQRT2

export const clampPage = (page, max) => {
  const n = Math.round(Number(page) || 1)
  return Math.max(1, max ? Math.min(max, n) : n)
}

/**
 * @param {object} ctx
 * @param {string} ctx.meetingId
 * @param {object} ctx.user the caller
 * @param {() => string} ctx.role the caller's role in the meeting
 * @param {(type: string, args: object) => Promise<boolean>} ctx.act send an intent
 */
export function createReader(ctx) {
  const state = {
    documents: [],
    room: null,
    view: { document: null, page: 1 },
    follow: true,
    localZoom: null, // the reader's own zoom; null: the presenter's
    thumbs: false,
    fitPage: false, // the whole page in view instead of the full width
    reading: false, // the reading layout: the page fills the window
    fullscreen: false,
    searchOpen: false,
    query: '',
    scope: 'document',
    results: null,
    searching: false,
    searchError: '',
    imageError: '',
    aspect: new Map(), // "doc:page" -> height / width
  }
  let imageSeq = 0
  let alive = true

  const el = h('section', { class: 'reader', 'aria-labelledby': 'reader-title' })
  const title = h('h2', { id: 'reader-title', class: 'visually-hidden' }, t('reader.title'))
  const bar = h('div', { class: 'reader-bar', role: 'toolbar', 'aria-label': t('reader.toolbar') })
  const barMain = h('div', { class: 'bar-main' }) // rebuilt on every render
  const followSlot = h('div', { class: 'follow-slot', 'aria-live': 'polite' })
  const thumbs = h('nav', { class: 'thumbs', 'aria-label': t('reader.thumbs') })
  const img = h('img', { class: 'page-image', alt: '', draggable: 'false' })
  const frame = h('div', { class: 'page-frame' }, img)
  const scroller = h('div', { class: 'page-scroller', tabindex: '0', 'aria-label': t('reader.page') }, frame)
  const pageStatus = h('p', { class: 'page-status', role: 'status' })
  const searchPane = h('aside', { class: 'search-pane', 'aria-label': t('search.title') })
  const sigSlot = h('div', { class: 'sig-slot' })
  const pageCol = h('div', { class: 'page-col' }, scroller, pageStatus, sigSlot)
  // Beside the page: zoom and the annotation tools.
  const zoomSlot = h('div', { class: 'zoom-slot' })
  const palette = h('div', { class: 'palette', role: 'group', 'aria-label': t('reader.palette') }, zoomSlot)
  const body = h('div', { class: 'reader-body' }, thumbs, pageCol, searchPane)

  // Search form: built once, so typing survives re-renders.
  const searchInput = h('input', {
    type: 'search',
    id: 'search-q',
    'data-key': 'search-q',
    autocomplete: 'off',
    oninput: (e) => {
      state.query = e.target.value
    },
  })
  const scopeSelect = h(
    'select',
    {
      id: 'search-scope',
      'data-key': 'search-scope',
      onchange: (e) => {
        state.scope = e.target.value
        if (state.query.trim()) runSearch()
      },
    },
    h('option', { value: 'document' }, t('search.thisDocument')),
    h('option', { value: 'meeting' }, t('search.allDocuments')),
  )

  const annotator = createAnnotator({
    meetingId: ctx.meetingId,
    user: ctx.user,
    role: ctx.role,
    frame,
    getView: () => ({ ...state.view, aspect: aspectOf(state.view) }),
    onError: (message) => ctx.onError?.(message),
  })

  // One row of tools above the page; zoom and the note tools beside it, the
  // follow notice over its corner: nothing else pushes the page down.
  palette.append(annotator.toolbar)
  body.insertBefore(palette, pageCol)
  pageCol.prepend(followSlot)
  el.append(title, bar, body)

  const doc = () => state.documents.find((d) => sameId(d.id, state.view.document)) ?? null
  const presenting = () => state.room?.presenting ?? {}
  const presented = () => presenting().document !== null && presenting().document !== undefined
  const onPresentedPage = () =>
    presented() && sameId(presenting().document, state.view.document) && Number(presenting().page) === state.view.page
  const aspectOf = ({ document, page }) => state.aspect.get(`${document}:${page}`) ?? state.aspect.get(`${document}`) ?? A4
  // The person presents the page on screen: their zoom and scroll drive the projector.
  const presents = () => Boolean(state.room) && state.follow && onPresentedPage() && mayPresent(state.room, ctx.user, ctx.role())
  function sendView(point = pagePoint(scroller, frame)) {
    const p = presenting()
    ctx.act('present.page', { document: Number(p.document), page: Number(p.page), zoom: zoom(), fit: p.fit ?? 'height', ...point })
  }
  const zoom = () => {
    if (state.localZoom !== null) return state.localZoom
    const z = Number(presenting().zoom)
    return state.follow && presented() && z > 0 ? Math.min(3, Math.max(0.5, z)) : 1
  }
  // Zoom 1 is the full width of the scroller, or with fitPage the width at
  // which the whole page fits its height.
  const pageFitWidth = () => {
    const height = scroller.clientHeight - 16
    const width = scroller.clientWidth - 16
    return height > 0 && width > 0 ? Math.min(width, height / aspectOf(state.view)) : 0
  }
  function frameWidth() {
    const base = state.fitPage ? pageFitWidth() : 0
    return base ? `${Math.round(base * zoom())}px` : `${zoom() * 100}%`
  }

  // -- navigation ----------------------------------------------------------

  function show(document, page, { follow = false } = {}) {
    const d = state.documents.find((x) => sameId(x.id, document))
    state.view = { document: d ? d.id : document, page: clampPage(page, d?.page_count) }
    state.follow = follow
    render()
  }

  function turn(delta) {
    const d = doc()
    if (!d) return
    show(d.id, clampPage(state.view.page + delta, d.page_count))
  }

  function followPresenter() {
    state.follow = true
    state.localZoom = null
    applyFollow()
    render()
    scroller.focus({ preventScroll: true })
  }

  function applyFollow() {
    if (!state.follow || !presented()) return
    const p = presenting()
    state.view = { document: p.document, page: clampPage(p.page) }
  }

  function setZoom(next) {
    state.localZoom = next
    render()
    // The presenter zooming the presented page zooms the projector too.
    if (presents()) sendView()
  }

  function setFit(fitPage) {
    state.fitPage = fitPage
    state.localZoom = null
    lastKey = ''
    render()
  }

  // -- layout --------------------------------------------------------------

  // The page and the thumbnails reach down to the bottom of the window,
  // wherever the rows above them end.
  function measure() {
    const top = scroller.getBoundingClientRect().top + (state.fullscreen ? 0 : globalThis.scrollY || 0)
    el.style.setProperty('--page-top', `${Math.max(0, Math.round(top))}px`)
  }

  function toggleFullscreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen?.().catch(() => {})
    } else {
      el.requestFullscreen?.().catch((err) => ctx.onError?.(errorMessage(err)))
    }
  }

  function zoomStep(dir) {
    const z = zoom()
    const i = ZOOMS.findIndex((v) => v >= z - 0.001)
    const at = i < 0 ? ZOOMS.length - 1 : i
    const nextIndex = Math.max(0, Math.min(ZOOMS.length - 1, dir > 0 ? (ZOOMS[at] > z + 0.001 ? at : at + 1) : at - 1))
    setZoom(ZOOMS[nextIndex])
  }

  // -- image ---------------------------------------------------------------

  async function loadImage() {
    const d = doc()
    const { document, page } = state.view
    const seq = ++imageSeq
    if (!d || document === null) {
      img.removeAttribute('src')
      img.alt = ''
      return
    }
    const shown = (state.fitPage && pageFitWidth()) || scroller.clientWidth || 900
    const wide = shown * zoom() * (globalThis.devicePixelRatio || 1) > 1400
    const url = pageUrl(document, page, { w: wide ? 'projector' : 'laptop', confidentiality: d.confidentiality })
    frame.dataset.loading = 'true'
    try {
      const src = await fetchImage(url)
      if (seq !== imageSeq || !alive) return
      if (state.imageError) {
        // An earlier page's error must not stand under this one.
        state.imageError = ''
        renderStatus()
      }
      img.onload = () => {
        if (seq !== imageSeq) return
        if (img.naturalWidth) {
          const aspect = img.naturalHeight / img.naturalWidth
          state.aspect.set(`${document}:${page}`, aspect)
          state.aspect.set(`${document}`, aspect)
          frame.style.aspectRatio = `${img.naturalWidth} / ${img.naturalHeight}`
          frame.style.width = frameWidth()
          annotator.refresh()
        }
        delete frame.dataset.loading
        frame.dataset.page = `${document}:${page}`
      }
      img.src = src
      img.alt = t('reader.pageAlt', { title: d.title, page, count: d.page_count ?? '?' })
      // The next page, ahead of the reader.
      if (d.page_count && page < d.page_count) {
        fetchImage(pageUrl(document, page + 1, { w: wide ? 'projector' : 'laptop', confidentiality: d.confidentiality })).catch(() => {})
      }
    } catch (err) {
      if (seq !== imageSeq || !alive) return
      delete frame.dataset.loading
      state.imageError = err.status === 404 ? t('reader.pageMissing') : errorMessage(err)
      renderStatus()
    }
  }

  // -- search --------------------------------------------------------------

  async function runSearch(event) {
    event?.preventDefault()
    const q = state.query.trim()
    if (!q) return
    state.searching = true
    state.searchError = ''
    renderSearch()
    try {
      const data = await search(q, ctx.meetingId)
      state.results = (data.results ?? []).filter((r) => r.kind === 'page' || r.kind === 'document')
    } catch (err) {
      state.searchError = errorMessage(err)
      state.results = null
    }
    state.searching = false
    if (alive) renderSearch()
  }

  function shownResults() {
    if (!state.results) return null
    if (state.scope !== 'document') return state.results
    return state.results.filter((r) => sameId(r.document_id, state.view.document))
  }

  function renderSearch() {
    searchPane.hidden = !state.searchOpen
    if (!state.searchOpen) return
    const results = shownResults()
    replaceContent(
      searchPane,
      h(
        'form',
        { class: 'search-form', role: 'search', onsubmit: runSearch },
        h('h3', {}, t('search.title')),
        h('label', { for: 'search-q' }, t('search.label')),
        h('div', { class: 'row tight' }, searchInput, h('button', { type: 'submit', class: 'primary', 'data-key': 'search-go' }, t('search.go'))),
        h('label', { for: 'search-scope' }, t('search.scope')),
        scopeSelect,
      ),
      state.searching ? h('p', { role: 'status' }, t('search.searching')) : null,
      state.searchError ? h('p', { class: 'error', role: 'alert' }, state.searchError) : null,
      results
        ? h('p', { class: 'meta', role: 'status' }, t('search.count', { count: results.length }))
        : null,
      results && results.length
        ? h(
            'ol',
            { class: 'results' },
            results.map((r, i) => {
              const d = state.documents.find((x) => sameId(x.id, r.document_id))
              const page = r.kind === 'page' ? r.page : 1
              return h(
                'li',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'result',
                    'data-key': `result-${i}`,
                    onclick: () => show(r.document_id, page),
                  },
                  h('span', { class: 'result-title' }, `${d?.title ?? r.title} · ${t('meeting.page', { page })}`),
                  h('span', { class: 'snippet' }, snippetNodes(r.snippet ?? '')),
                ),
              )
            }),
          )
        : null,
    )
  }

  // -- thumbnails ----------------------------------------------------------

  let thumbObserver = null
  let thumbsFor = null

  function renderThumbs() {
    thumbs.hidden = !state.thumbs
    const d = doc()
    if (!state.thumbs || !d) return
    const key = `${d.id}`
    if (thumbsFor !== key) {
      thumbsFor = key
      thumbObserver?.disconnect()
      thumbObserver = new IntersectionObserver(
        (entries) => {
          for (const entry of entries) {
            if (!entry.isIntersecting) continue
            const image = entry.target
            thumbObserver.unobserve(image)
            fetchImage(image.dataset.url).then(
              (src) => {
                image.src = src
              },
              () => image.classList.add('broken'),
            )
          }
        },
        { root: thumbs, rootMargin: '200px' },
      )
      const count = d.page_count || 0
      const items = []
      for (let page = 1; page <= count; page++) {
        const image = h('img', {
          alt: '',
          'data-url': pageUrl(d.id, page, { w: 'thumb', confidentiality: d.confidentiality }),
        })
        thumbObserver.observe(image)
        items.push(
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'thumb',
                'data-page': page,
                'aria-label': t('meeting.page', { page }),
                onclick: () => show(d.id, page),
              },
              image,
              h('span', { 'aria-hidden': 'true' }, String(page)),
            ),
          ),
        )
      }
      replaceContent(thumbs, h('ol', {}, items))
    }
    for (const button of thumbs.querySelectorAll('.thumb')) {
      const current = Number(button.dataset.page) === state.view.page
      button.classList.toggle('current', current)
      if (current) button.setAttribute('aria-current', 'page')
      else button.removeAttribute('aria-current')
    }
    thumbs.querySelector('.thumb.current')?.scrollIntoView?.({ block: 'nearest' })
  }

  // -- toolbar -------------------------------------------------------------

  function zoomGroup(d) {
    if (!d) return null
    return h(
      'div',
      { class: 'group', role: 'group', 'aria-label': t('reader.zoom') },
      h('button', { type: 'button', 'data-key': 'zoom-out', 'aria-label': t('reader.zoomOut'), disabled: zoom() <= ZOOMS[0], onclick: () => zoomStep(-1) }, '−'),
      h('span', { class: 'zoom-level', 'aria-live': 'polite' }, `${Math.round(zoom() * 100)}%`),
      h('button', { type: 'button', 'data-key': 'zoom-in', 'aria-label': t('reader.zoomIn'), disabled: zoom() >= ZOOMS.at(-1), onclick: () => zoomStep(1) }, '+'),
      h('button', { type: 'button', 'data-key': 'zoom-fit', 'aria-pressed': String(!state.fitPage), onclick: () => (state.fitPage ? setFit(false) : setZoom(1)) }, t('reader.fit')),
      h('button', { type: 'button', 'data-key': 'zoom-page', 'aria-pressed': String(state.fitPage), onclick: () => setFit(true) }, t('reader.fitPage')),
    )
  }

  function renderBar() {
    const d = doc()
    const docs = state.documents
    const canPresent = mayPresentPage(state.room ?? { presenting: {} }, ctx.user, ctx.role())
    replaceContent(
      barMain,
      docs.length
        ? h(
            'div',
            { class: 'field inline' },
            h('label', { for: 'reader-doc' }, t('reader.document')),
            h(
              'select',
              {
                id: 'reader-doc',
                'data-key': 'reader-doc',
                onchange: (e) => show(docs[Number(e.target.value)].id, 1),
              },
              docs.map((x, i) => h('option', { value: String(i), selected: sameId(x.id, state.view.document) }, x.title)),
            ),
          )
        : null,
      d
        ? h(
            'div',
            { class: 'group', role: 'group', 'aria-label': t('reader.pages') },
            h('button', { type: 'button', 'data-key': 'page-prev', 'aria-label': t('reader.prev'), disabled: state.view.page <= 1, onclick: () => turn(-1) }, '‹'),
            h(
              'form',
              {
                class: 'page-jump',
                onsubmit: (e) => {
                  e.preventDefault()
                  show(d.id, e.target.elements['reader-page'].value)
                },
              },
              h('label', { for: 'reader-page', class: 'visually-hidden' }, t('reader.pageNumber')),
              h('input', {
                id: 'reader-page',
                name: 'reader-page',
                'data-key': 'reader-page',
                type: 'number',
                inputmode: 'numeric',
                min: 1,
                max: d.page_count || undefined,
                value: String(state.view.page),
              }),
              h('span', { class: 'of' }, `/ ${d.page_count ?? '?'}`),
            ),
            h('button', { type: 'button', 'data-key': 'page-next', 'aria-label': t('reader.next'), disabled: Boolean(d.page_count) && state.view.page >= d.page_count, onclick: () => turn(1) }, '›'),
          )
        : null,
      h(
        'div',
        { class: 'group', role: 'group', 'aria-label': t('reader.panels') },
        h('button', { type: 'button', 'data-key': 'thumbs', 'aria-pressed': String(state.thumbs), onclick: () => { state.thumbs = !state.thumbs; render() } }, t('reader.thumbsToggle')),
        h('button', {
          type: 'button',
          'data-key': 'search',
          'aria-pressed': String(state.searchOpen),
          onclick: () => {
            state.searchOpen = !state.searchOpen
            render()
            if (state.searchOpen) searchInput.focus()
          },
        }, t('search.open')),
        canPresent && d
          ? h('button', {
              type: 'button',
              class: onPresentedPage() ? '' : 'primary',
              'data-key': 'present-this',
              disabled: onPresentedPage(),
              onclick: () => ctx.act('present.page', { document: Number(d.id), page: state.view.page, zoom: zoom(), fit: presenting().fit ?? 'height', ...pagePoint(scroller, frame) }),
            }, t('reader.presentThis'))
          : null,
      ),
    )
    renderLayoutGroup()
  }

  // Built once and kept at the end of the bar, so these keep the focus
  // across renders.
  const fullscreenButton = h('button', { type: 'button', 'data-key': 'fullscreen', onclick: toggleFullscreen })
  const layoutGroup = h('div', { class: 'group', role: 'group' }, document.fullscreenEnabled !== false ? fullscreenButton : null, ctx.tools ?? null)
  bar.append(barMain, layoutGroup)

  function renderLayoutGroup() {
    layoutGroup.setAttribute('aria-label', t('reader.layout'))
    fullscreenButton.className = state.fullscreen ? 'primary' : ''
    fullscreenButton.setAttribute('aria-pressed', String(state.fullscreen))
    fullscreenButton.textContent = state.fullscreen ? t('reader.fullscreenExit') : t('reader.fullscreen')
  }

  function renderFollow() {
    let content = null
    if (presented()) {
      const p = presenting()
      const pd = state.documents.find((x) => sameId(x.id, p.document))
      const what = t('reader.presentedPage', { title: pd?.title ?? t('meeting.documentUnknown', { id: p.document }), page: p.page })
      content = state.follow
        ? h('p', { class: 'follow on' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), t('reader.following'), ' ', h('span', { class: 'meta' }, what))
        : h(
            'div',
            { class: 'follow off' },
            h('p', {}, t('reader.notFollowing'), ' ', h('span', { class: 'meta' }, what)),
            h('button', { type: 'button', class: 'primary', 'data-key': 'follow', onclick: followPresenter }, t('reader.follow')),
          )
    }
    replaceContent(followSlot, content)
  }

  let sigShown = ''
  function renderSignatures(d) {
    // Rebuilt only when the document or its signatures change: a reader may have it open.
    const shown = JSON.stringify([d?.id, d?.signatures ?? [], getLang()])
    if (shown === sigShown) return
    sigShown = shown
    replaceContent(sigSlot, d ? signatureSummary(d) : null)
  }

  function renderStatus() {
    const d = doc()
    renderSignatures(d)
    // With nothing to read, the message stays visible in every layout.
    pageStatus.className = state.imageError ? 'page-status error' : d || state.documents.length ? 'page-status' : 'page-status empty'
    pageStatus.textContent = state.imageError
      ? state.imageError
      : d
        ? t('reader.pageAlt', { title: d.title, page: state.view.page, count: d.page_count ?? '?' })
        : state.documents.length
          ? ''
          : t('reader.noDocuments')
  }

  let lastKey = ''
  function render() {
    if (!alive) return
    if (state.view.document === null && state.documents.length) state.view = { document: state.documents[0].id, page: 1 }
    applyFollow()
    // The document's details (title, confidentiality) may arrive after the room.
    const key = `${state.view.document}:${state.view.page}:${zoom()}:${doc() ? 'known' : 'unknown'}`
    el.dataset.fill = String(state.reading || state.fullscreen)
    frame.style.width = frameWidth()
    frame.style.aspectRatio = `1 / ${aspectOf(state.view)}`
    el.dataset.follow = String(state.follow)
    el.dataset.view = `${state.view.document}:${state.view.page}`
    renderBar()
    replaceContent(zoomSlot, zoomGroup(doc()))
    renderFollow()
    renderThumbs()
    renderSearch()
    renderStatus()
    if (key !== lastKey) {
      const pageChanged = !lastKey.startsWith(`${state.view.document}:${state.view.page}:`)
      lastKey = key
      loadImage()
      if (pageChanged) scroller.scrollTo?.({ top: 0 })
    }
    // Before the room has synced, the view may still jump to the presented
    // page: no notes socket for a document only glimpsed.
    if (state.room) annotator.update(state.room, { onPresentedPage: onPresentedPage() })
  }

  // Keyboard: arrows and PageUp/PageDown turn pages when the page has focus.
  scroller.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowRight' || e.key === 'PageDown') {
      e.preventDefault()
      turn(1)
    } else if (e.key === 'ArrowLeft' || e.key === 'PageUp') {
      e.preventDefault()
      turn(-1)
    }
  })
  const offLang = onLangChange(() => {
    title.textContent = t('reader.title')
    bar.setAttribute('aria-label', t('reader.toolbar'))
    thumbs.setAttribute('aria-label', t('reader.thumbs'))
    scroller.setAttribute('aria-label', t('reader.page'))
    searchPane.setAttribute('aria-label', t('search.title'))
    palette.setAttribute('aria-label', t('reader.palette'))
    replaceContent(scopeSelect, h('option', { value: 'document' }, t('search.thisDocument')), h('option', { value: 'meeting' }, t('search.allDocuments')))
    scopeSelect.value = state.scope
    thumbsFor = null
    render()
  })
  const offScroll = followScroll({ scroller, frame, active: presents, send: sendView })
  const onResize = () => {
    lastKey = ''
    measure()
    render()
  }
  globalThis.addEventListener('resize', onResize)
  const onFullscreen = () => {
    const fullscreen = document.fullscreenElement === el
    if (fullscreen !== state.fullscreen) state.fitPage = fullscreen || state.reading
    state.fullscreen = fullscreen
    render()
    measure()
    // The page's size changed with the screen: fit it again.
    onResize()
  }
  document.addEventListener('fullscreenchange', onFullscreen)
  // Rows above the page grow and shrink (a ballot opens, the tools wrap).
  const sizes = typeof ResizeObserver === 'function'
    ? new ResizeObserver(() => {
        measure()
        if (state.fitPage) frame.style.width = frameWidth()
      })
    : null
  sizes?.observe(el)

  return {
    el,
    setDocuments(documents) {
      state.documents = documents ?? []
      thumbsFor = null
      render()
    },
    update(room) {
      state.room = room
      render()
    },
    get view() {
      return { ...state.view, follow: state.follow }
    },
    /** The reading layout: the page fills the window below the tools, fitted whole. */
    setReading(reading) {
      if (state.reading === reading) return
      state.reading = reading
      state.fitPage = reading
      lastKey = ''
      render()
      measure()
      onResize()
    },
    measure,
    destroy() {
      alive = false
      offLang()
      offScroll()
      globalThis.removeEventListener('resize', onResize)
      document.removeEventListener('fullscreenchange', onFullscreen)
      sizes?.disconnect()
      if (document.fullscreenElement === el) document.exitFullscreen?.().catch(() => {})
      thumbObserver?.disconnect()
      annotator.destroy()
    },
  }
}
