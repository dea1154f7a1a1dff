// An independent model of the memory store, asynchronous only (as Redis is): the exact sliding
// window of window.ts (prune, then earliestSlot) over logs keyed "scope:limit". The sync-path tests
// compare the real store's synchronous decisions with it.
import type { SlotLimit } from '../../src/ratelimit/limits.js'
import type { Acquired, RateLimitStore } from '../../src/ratelimit/store.js'
import { earliestSlot, prune } from '../../src/ratelimit/window.js'

export class ReferenceStore implements RateLimitStore {
  private readonly logs = new Map<string, number[]>()
  private readonly pauses = new Map<string, number>()

  constructor(private readonly now: () => number) {}

  async acquire(scope: string, limits: readonly SlotLimit[], maxWaitMs: number): Promise<Acquired> {
    const now = this.now()
    const logs = limits.map((limit) => {
      const key = `${scope}:${limit.name}`
      const entries = prune(this.logs.get(key) ?? [], now, limit.window)
      return { key, limit, entries, pausedUntil: this.pauses.get(key) ?? 0 }
    })
    const slot = earliestSlot(logs, now)
    const waitMs = slot.at - now
    if (waitMs > maxWaitMs) return { admitted: false, waitMs, decidedBy: slot.decidedBy as string }
    for (const { key, entries } of logs) this.logs.set(key, [...entries, slot.at])
    return { admitted: true, waitMs, decidedBy: slot.decidedBy }
  }

  async pause(scope: string, limits: readonly SlotLimit[], ms: number): Promise<void> {
    for (const limit of limits) {
      const key = `${scope}:${limit.name}`
      this.pauses.set(key, Math.max(this.now() + ms, this.pauses.get(key) ?? 0))
    }
  }

  async close(): Promise<void> {}
}

/** A seeded generator in [0, 1): the same walk on every run and for every path compared. */
export function seeded(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state / 2 ** 31
  }
}
