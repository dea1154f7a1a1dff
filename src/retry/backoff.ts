// Capped exponential backoff with jitter, after Brooker's "Exponential Backoff And Jitter" (AWS):
// jitter spreads retries of clients that failed together; full jitter does the least work.
// Delays are whole ms drawn uniformly from integers, so means are exact: full = ceiling / 2.
import type { Jitter } from '../config/schema.js'

export interface BackoffOptions {
  base: number
  max: number
  jitter: Jitter
}

// Past 2^64 the cap has long applied; stopping there keeps base 0 from becoming 0 · ∞ = NaN.
const MAX_DOUBLINGS = 64

/** Wait in ms before retry number `retry` (1 = the first retry); `previous` = the previous wait (decorrelated uses it; pass 0 for the first retry). random() in [0,1). */
export function backoffDelay(retry: number, previous: number, options: BackoffOptions, random: () => number): number {
  const { base, max } = options
  const doublings = Math.min(Math.max(retry - 1, 0), MAX_DOUBLINGS)
  const ceiling = Math.floor(Math.min(max, base * 2 ** doublings))
  return Math.max(0, Math.floor(Math.min(max, jittered(ceiling, previous, options, random))))
}

function jittered(ceiling: number, previous: number, { base, jitter }: BackoffOptions, random: () => number): number {
  switch (jitter) {
    case 'full':
      return uniform(0, ceiling, random)
    case 'equal':
      return ceiling - Math.floor(ceiling / 2) + uniform(0, Math.floor(ceiling / 2), random)
    case 'decorrelated':
      // The AWS simulator's form: the lower bound is base, and a first retry counts as following base.
      return uniform(base, Math.max(base, 3 * (previous > 0 ? previous : base)), random)
    case 'none':
      return ceiling
  }
}

/** An integer uniform in [⌊low⌋, ⌊high⌋], both ends included. */
function uniform(low: number, high: number, random: () => number): number {
  const from = Math.floor(low)
  return from + Math.floor(random() * (Math.floor(high) - from + 1))
}
