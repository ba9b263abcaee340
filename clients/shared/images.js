// Page images, fetched without the HTTP cache and kept in memory only, so a
// shared laptop keeps no trace of what a person read once the page unloads
// or the person logs out. A small LRU of object URLs makes turning back and
// forth instant; the next page is fetched ahead.

const LIMIT = 48
const cache = new Map() // url -> Promise<objectURL>

/** w: thumb | laptop | projector. Watermarked documents ask JPEG (see docs/api.md). */
export function pageUrl(documentId, page, { w = 'laptop', confidentiality = 'internal' } = {}) {
  const fmt = confidentiality === 'public' ? 'webp' : 'jpeg'
  return `/api/documents/${encodeURIComponent(documentId)}/pages/${encodeURIComponent(page)}?w=${w}&fmt=${fmt}`
}

export class ImageError extends Error {
  constructor(status, code) {
    super(code)
    this.status = status
    this.code = code
  }
}

async function load(url) {
  let response
  try {
    response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' })
  } catch {
    throw new ImageError(0, 'network')
  }
  if (!response.ok) {
    let code = `http_${response.status}`
    try {
      code = (await response.json())?.error?.code ?? code
    } catch {
      // not JSON
    }
    throw new ImageError(response.status, code)
  }
  return URL.createObjectURL(await response.blob())
}

/** An object URL for the image at url; failures are not cached. */
export function fetchImage(url) {
  let entry = cache.get(url)
  if (entry) {
    cache.delete(url) // most recently used goes last
    cache.set(url, entry)
    return entry
  }
  entry = load(url)
  cache.set(url, entry)
  entry.catch(() => cache.get(url) === entry && cache.delete(url))
  while (cache.size > LIMIT) {
    const [oldest, promise] = cache.entries().next().value
    cache.delete(oldest)
    promise.then((u) => URL.revokeObjectURL(u), () => {})
  }
  return entry
}

/** Forget every image (logout, leaving a meeting). */
export function clearImages() {
  for (const promise of cache.values()) promise.then((u) => URL.revokeObjectURL(u), () => {})
  cache.clear()
}
