// Where the presenter looks is where the projector looks: while the
// presenter reads the presented page, scrolling it moves the projected page
// too (present.page with x, y: the middle of what the presenter sees, as
// shares of the page's width and height). Only scrolls the person made
// count: a page turned by the program moves nothing.

const TOUCH_MS = 1500 // a scroll this soon after a wheel, key or touch is the person's
const EVENTS = ['wheel', 'pointerdown', 'keydown', 'touchstart']

/** The middle of the visible part of the page, as {x, y} in 0..1. */
export function pagePoint(scroller, frame) {
  const page = frame.getBoundingClientRect()
  const view = scroller.getBoundingClientRect()
  if (!page.width || !page.height) return { x: 0.5, y: 0 }
  const share = (v) => Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000
  return {
    x: share((view.left + scroller.clientWidth / 2 - page.left) / page.width),
    y: share((view.top + scroller.clientHeight / 2 - page.top) / page.height),
  }
}

/**
 * @param {object} o
 * @param {HTMLElement} o.scroller the scrolling box
 * @param {HTMLElement} o.frame the page inside it
 * @param {() => boolean} o.active the person presents the page on screen
 * @param {(point: {x: number, y: number}) => void} o.send
 * @returns {() => void} stop following
 */
export function followScroll({ scroller, frame, active, send, delay = 250 }) {
  let touched = 0
  let timer = null
  const touch = () => {
    touched = Date.now()
  }
  const onScroll = () => {
    if (Date.now() - touched > TOUCH_MS || !active()) return
    clearTimeout(timer)
    timer = setTimeout(() => {
      if (active()) send(pagePoint(scroller, frame))
    }, delay)
  }
  for (const e of EVENTS) scroller.addEventListener(e, touch, { passive: true })
  scroller.addEventListener('scroll', onScroll, { passive: true })
  return () => {
    clearTimeout(timer)
    for (const e of EVENTS) scroller.removeEventListener(e, touch)
    scroller.removeEventListener('scroll', onScroll)
  }
}
