// Strokes of the annotation schema (annotations.js) drawn as SVG, for the
// laptop's reader and the projector alike. A page is 1000 units wide and
// 1000 × aspect tall, so a width given in page widths keeps its thickness.

const SVG = 'http://www.w3.org/2000/svg'
export const UNITS = 1000

export const svgEl = (tag, attrs = {}) => {
  const el = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  return el
}

export function pathData(points, aspect) {
  const h = UNITS * aspect
  let d = ''
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = (points[i] * UNITS).toFixed(1)
    const y = (points[i + 1] * h).toFixed(1)
    d += `${i ? 'L' : 'M'}${x} ${y}`
  }
  // One point: a zero-length segment, which a round cap draws as a dot.
  if (points.length === 2) d += `L${(points[0] * UNITS).toFixed(1)} ${(points[1] * h).toFixed(1)}`
  return d
}

export function strokeElement(stroke, aspect) {
  const highlighter = stroke.tool === 'highlighter'
  return svgEl('path', {
    d: pathData(stroke.points, aspect),
    fill: 'none',
    stroke: /^#[0-9a-fA-F]{6}$/.test(stroke.color) ? stroke.color : '#0b0c0c',
    'stroke-width': Math.max(0.5, (Number(stroke.width) || 0.003) * UNITS),
    'stroke-linecap': highlighter ? 'square' : 'round',
    'stroke-linejoin': 'round',
    'stroke-opacity': highlighter ? 0.4 : 1,
    'data-id': stroke.id,
    class: highlighter ? 'stroke highlighter' : 'stroke',
  })
}

/** An <svg> the size of the page with the strokes of one layer. */
export function makeLayer(className) {
  return svgEl('svg', { class: className, 'aria-hidden': 'true', focusable: 'false', preserveAspectRatio: 'none' })
}

export function drawStrokes(svg, strokes, aspect) {
  svg.setAttribute('viewBox', `0 0 ${UNITS} ${(UNITS * aspect).toFixed(1)}`)
  svg.replaceChildren(...strokes.map((s) => strokeElement(s, aspect)))
}
