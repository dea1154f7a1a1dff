import t from 'tap'
import { parseRetryAfter } from '../../src/retry/retry-after.js'

const now = Date.UTC(2026, 0, 1, 12, 0, 0) // Thu, 01 Jan 2026 12:00:00 GMT

t.test('delay-seconds', async (t) => {
  t.equal(parseRetryAfter('0', now), 0)
  t.equal(parseRetryAfter('2', now), 2_000)
  t.equal(parseRetryAfter('120', now), 120_000)
  t.equal(parseRetryAfter('007', now), 7_000)
  t.equal(parseRetryAfter(' 3 ', now), 3_000, 'surrounding whitespace is not part of the value')
})

t.test('HTTP-date, relative to now', async (t) => {
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 12:00:05 GMT', now), 5_000)
  t.equal(parseRetryAfter(new Date(now + 90_000).toUTCString(), now), 90_000)
  t.equal(parseRetryAfter('Thursday, 01-Jan-26 12:00:10 GMT', now), 10_000, 'obsolete RFC 850 form')
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 11:59:00 GMT', now), 0, 'a date in the past')
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 12:00:00 GMT', now), 0, 'now')
})

t.test('absent or unparsable values give null', async (t) => {
  t.equal(parseRetryAfter(undefined, now), null)
  for (const bad of ['', ' ', '1.5', '-1', '+1', '1e3', '0x10', 'soon', '5s'])
    t.equal(parseRetryAfter(bad, now), null, bad)
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 12:00:05', now), null, 'a date without GMT')
  t.equal(parseRetryAfter('2026-01-01T12:00:05Z', now), null, 'ISO 8601 is not an HTTP-date')
  t.equal(parseRetryAfter('Thu, 99 Foo 2026 12:00:05 GMT', now), null, 'GMT but not a date')
})

t.test('an array uses its first element', async (t) => {
  t.equal(parseRetryAfter(['2', '60'], now), 2_000)
  t.equal(parseRetryAfter(['Thu, 01 Jan 2026 12:00:05 GMT', '1'], now), 5_000)
  t.equal(parseRetryAfter(['soon', '2'], now), null)
  t.equal(parseRetryAfter([], now), null)
})
