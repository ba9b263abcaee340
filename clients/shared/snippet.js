// Search snippets come HTML-escaped with the matched words in <mark>. They
// are rebuilt here as text and <mark> nodes only: no HTML from the server is
// ever inserted as HTML.

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", apos: "'" }

export function unescapeHtml(text) {
  return text.replace(/&(#\d+|#x[0-9a-f]+|\w+);/gi, (whole, name) => {
    const lower = name.toLowerCase()
    if (lower in ENTITIES) return ENTITIES[lower]
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16))
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10))
    return whole
  })
}

/** [{text, mark}] pieces of a snippet. */
export function snippetParts(snippet) {
  const parts = []
  let mark = false
  for (const piece of String(snippet).split(/(<\/?mark>)/i)) {
    if (/^<mark>$/i.test(piece)) mark = true
    else if (/^<\/mark>$/i.test(piece)) mark = false
    else if (piece) parts.push({ text: unescapeHtml(piece.replace(/<[^>]*>/g, '')), mark })
  }
  return parts
}

/** DOM nodes for a snippet. */
export function snippetNodes(snippet) {
  return snippetParts(snippet).map(({ text, mark }) => {
    if (!mark) return document.createTextNode(text)
    const el = document.createElement('mark')
    el.textContent = text
    return el
  })
}
