import { test } from 'node:test'
import assert from 'node:assert/strict'
import { placePage } from '../src/page-view.js'

const A4 = Math.SQRT2

test('fit height fills the height; fit width the width', () => {
  const tall = placePage({ fit: 'height', zoom: 1 }, A4, 1500, 1080)
  assert.equal(Math.round(tall.height), 1080)
  assert.equal(Math.round(tall.left), Math.round((1500 - 1080 / A4) / 2), 'centred')
  assert.equal(tall.top, 0)
  const wide = placePage({ fit: 'width', zoom: 1 }, A4, 1500, 1080)
  assert.equal(wide.width, 1500)
  assert.equal(wide.top, 0, 'from the top of the page by default')
})

test('the presenter\'s point sits in the middle, within the page\'s edges', () => {
  const at = placePage({ fit: 'height', zoom: 2, x: 0.25, y: 0.5 }, A4, 1500, 1080)
  assert.equal(Math.round(at.height), 2160)
  assert.equal(Math.round(at.top), 1080 / 2 - 1080) // the page's middle in the box's middle
  assert.equal(at.left, 0, 'the left edge: no empty band beside the page')
  const wide = placePage({ fit: 'width', zoom: 2, x: 0.4, y: 0.5 }, A4, 1500, 1080)
  assert.equal(wide.width, 3000)
  assert.equal(Math.round(wide.left), 750 - 1200)
  assert.equal(Math.round(wide.top), Math.round(540 - wide.height / 2))
  const end = placePage({ fit: 'width', zoom: 1, x: 0.5, y: 1 }, A4, 1500, 1080)
  assert.equal(Math.round(end.top), Math.round(1080 - end.height), 'the bottom edge, no empty band')
  const bad = placePage({ fit: 'odd', zoom: 'x', x: null, y: 7 }, A4, 1500, 1080)
  assert.equal(Math.round(bad.height), 1080, 'anything else: the whole height at zoom 1')
})

test('zoomed without a point: the top-left corner, the left edge never cut', () => {
  const wide = placePage({ fit: 'width', zoom: 2 }, A4, 1500, 1080)
  assert.equal(wide.left, 0)
  assert.equal(wide.top, 0)
  const tall = placePage({ fit: 'height', zoom: 3 }, A4, 1500, 1080)
  assert.equal(tall.left, 0)
})
