import t, { type Test } from 'tap'
import type { Jitter } from '../../src/config/schema.js'
import { type BackoffOptions, backoffDelay } from '../../src/retry/backoff.js'

/** mulberry32: a small seeded PRNG, so the samples are the same on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 15), z | 1)
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61)
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296
  }
}

const SAMPLES = 10_000
const base = 100
const max = 2_000
const options = (jitter: Jitter): BackoffOptions => ({ base, max, jitter })

function sample(retry: number, previous: number, jitter: Jitter, seed: number): number[] {
  const random = mulberry32(seed)
  return Array.from({ length: SAMPLES }, () => backoffDelay(retry, previous, options(jitter), random))
}

function checkSamples(t: Test, samples: number[], low: number, high: number, mean: number) {
  t.ok(
    samples.every((delay) => Number.isInteger(delay) && delay >= low && delay <= high),
    `all in [${low}, ${high}]`
  )
  const actual = samples.reduce((total, delay) => total + delay, 0) / samples.length
  t.ok(Math.abs(actual - mean) <= 0.05 * mean, `mean ${actual.toFixed(1)} within 5% of ${mean}`)
}

// Retry 1, 3 and 6 have ceilings of 100, 400 and 2000 (100 · 32 capped at max).
const RETRIES: [number, number][] = [
  [1, 100],
  [3, 400],
  [6, 2_000]
]

t.test('full jitter: uniform in [0, ceiling]', async (t) => {
  for (const [retry, ceiling] of RETRIES) checkSamples(t, sample(retry, 0, 'full', retry), 0, ceiling, ceiling / 2)
})

t.test('equal jitter: ceiling/2 + uniform in [0, ceiling/2]', async (t) => {
  for (const [retry, ceiling] of RETRIES)
    checkSamples(t, sample(retry, 0, 'equal', retry), ceiling / 2, ceiling, (3 * ceiling) / 4)
})

t.test('no jitter: the ceiling itself', async (t) => {
  for (const [retry, ceiling] of RETRIES) checkSamples(t, sample(retry, 0, 'none', retry), ceiling, ceiling, ceiling)
})

t.test('decorrelated jitter: min(max, uniform in [base, 3 · previous])', async (t) => {
  // E[min(max, U[base, high])]: the uniform mean below max, plus max for the part above it.
  const expected = (high: number) =>
    high <= max ? (base + high) / 2 : ((max - base) * ((base + max) / 2) + (high - max) * max) / (high - base)
  for (const previous of [0, 300, 600, 1_000, 2_000]) {
    const high = 3 * (previous || base)
    checkSamples(t, sample(2, previous, 'decorrelated', previous), base, Math.min(max, high), expected(high))
  }
})

t.test('the ends of random()', async (t) => {
  const zero = () => 0
  const almostOne = () => 0.999999
  t.equal(backoffDelay(3, 0, options('full'), zero), 0)
  t.equal(backoffDelay(3, 0, options('full'), almostOne), 400)
  t.equal(backoffDelay(3, 0, options('equal'), zero), 200)
  t.equal(backoffDelay(3, 0, options('equal'), almostOne), 400)
  t.equal(backoffDelay(3, 300, options('decorrelated'), zero), base)
  t.equal(backoffDelay(3, 300, options('decorrelated'), almostOne), 900)
  t.equal(backoffDelay(3, 1_500, options('decorrelated'), almostOne), max)
  t.equal(backoffDelay(3, 0, options('none'), almostOne), 400)
})

t.test('large retry numbers stay at the cap, never Infinity or NaN', async (t) => {
  for (const retry of [31, 1_000, 1_025, 1e9, Number.MAX_SAFE_INTEGER]) {
    t.equal(
      backoffDelay(retry, 0, options('none'), () => 0.5),
      max,
      `none, retry ${retry}`
    )
    t.equal(
      backoffDelay(retry, 0, options('full'), () => 0.5),
      max / 2,
      `full, retry ${retry}`
    )
    t.equal(
      backoffDelay(retry, 0, { base: 0, max, jitter: 'none' }, () => 0.5),
      0,
      `base 0, retry ${retry}`
    )
    t.equal(
      backoffDelay(retry, 0, { base: 1e300, max: 1e300, jitter: 'none' }, () => 0.5),
      1e300
    )
  }
})

t.test('a base above max, and retry 0, stay within [0, max]', async (t) => {
  const big = { base: 5_000, max: 1_000 }
  t.equal(
    backoffDelay(1, 0, { ...big, jitter: 'none' }, () => 0.5),
    1_000
  )
  t.equal(
    backoffDelay(1, 0, { ...big, jitter: 'decorrelated' }, () => 0),
    1_000
  )
  t.equal(
    backoffDelay(0, 0, options('none'), () => 0.5),
    base,
    'retry 0 is treated as the first'
  )
})
