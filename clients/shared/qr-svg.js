// A QR code as SVG elements, for the secretary's console and the projector.
// No markup strings: the CSP allows none. `qrcode-generator` resolves from
// each client's own node_modules (build-client.mjs).

import qrcode from 'qrcode-generator'

const SVG = 'http://www.w3.org/2000/svg'

/** The QR code of `text`, with a quiet zone of four modules, labelled for screen readers. */
export function qrSvg(text, label) {
  const qr = qrcode(0, 'M')
  qr.addData(text)
  qr.make()
  const n = qr.getModuleCount()
  const quiet = 4
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', `0 0 ${n + 2 * quiet} ${n + 2 * quiet}`)
  svg.setAttribute('role', 'img')
  svg.setAttribute('aria-label', label)
  svg.setAttribute('shape-rendering', 'crispEdges')
  const back = document.createElementNS(SVG, 'rect')
  back.setAttribute('width', '100%')
  back.setAttribute('height', '100%')
  back.setAttribute('fill', '#fff')
  svg.append(back)
  let d = ''
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) if (qr.isDark(row, col)) d += `M${col + quiet},${row + quiet}h1v1h-1z`
  }
  const path = document.createElementNS(SVG, 'path')
  path.setAttribute('d', d)
  path.setAttribute('fill', '#000')
  svg.append(path)
  return svg
}
