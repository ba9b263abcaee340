// A few DOM helpers, so screens stay plain functions without a framework.

/**
 * h('button', {class: 'x', onclick: fn, 'aria-label': '...'}, 'text', child)
 * Attributes whose value is false, null or undefined are left out; `on*`
 * functions become listeners; `style` goes through the CSSOM. Text is always
 * set as text, never as HTML.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value)
    } else if (name === 'value' || name === 'checked' || name === 'disabled') {
      el[name] = value
    } else if (name === 'style') {
      // Through the CSSOM: the server's CSP (style-src 'self') drops style attributes.
      el.style.cssText = String(value)
    } else {
      el.setAttribute(name, value === true ? '' : String(value))
    }
  }
  append(el, children)
  return el
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : String(child))
  }
}

/**
 * Replace the content of root with nodes, keeping keyboard focus on the
 * element with the same data-key (re-rendering must not throw the user's
 * place away).
 */
export function replaceContent(root, ...nodes) {
  const active = document.activeElement
  const key = root.contains(active) ? active?.dataset?.key : undefined
  root.replaceChildren()
  append(root, nodes)
  if (key) root.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus()
}
