// How long Didit's 429 pauses a scope: Retry-After, else X-RateLimit-Reset, capped.
import t from 'tap'
import { pauseFor } from '../../src/ratelimit/upstream-429.js'

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0)

t.test('Retry-After seconds or date', async (t) => {
  t.equal(pauseFor({ 'retry-after': '2' }, NOW, 60_000), 2000)
  t.equal(pauseFor({ 'retry-after': new Date(NOW + 5000).toUTCString() }, NOW, 60_000), 5000)
})

t.test('else X-RateLimit-Reset: epoch seconds, or seconds from now when small', async (t) => {
  t.equal(pauseFor({ 'x-ratelimit-reset': String(NOW / 1000 + 7) }, NOW, 60_000), 7000)
  t.equal(pauseFor({ 'x-ratelimit-reset': String(NOW / 1000 - 7) }, NOW, 60_000), 0, 'in the past')
  t.equal(pauseFor({ 'x-ratelimit-reset': '3' }, NOW, 60_000), 3000)
  t.equal(pauseFor({ 'retry-after': '1', 'x-ratelimit-reset': '30' }, NOW, 60_000), 1000, 'Retry-After first')
})

t.test('capped at the longest window; nothing usable: no pause', async (t) => {
  t.equal(pauseFor({ 'retry-after': '86400' }, NOW, 61_000), 61_000)
  t.equal(pauseFor({}, NOW, 60_000), null)
  t.equal(pauseFor({ 'retry-after': 'soon', 'x-ratelimit-reset': 'later' }, NOW, 60_000), null)
})
