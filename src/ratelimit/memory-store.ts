// One replica's sliding-window logs, in memory: the `memory` store, and the `local` fallback when
// Redis fails. The decision is the pure earliestSlot(); the clock is injected. Logs that no longer
// count are swept now and then, so that API keys seen once (clients may send any) do not pile up.
import type { SlotLimit } from './limits.js'
import type { Acquired, RateLimitStore } from './store.js'
import { earliestSlot } from './window.js'

const SWEEP_EVERY = 1000

interface Log {
  window: number
  entries: number[]
}

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly logs = new Map<string, Log>()
  private readonly pauses = new Map<string, number>()
  private untilSweep = SWEEP_EVERY

  constructor(private readonly now: () => number) {}

  async acquire(scope: string, limits: readonly SlotLimit[], maxWaitMs: number, requestId?: string): Promise<Acquired> {
    return this.acquireNow(scope, limits, maxWaitMs, requestId)
  }

  acquireNow(scope: string, limits: readonly SlotLimit[], maxWaitMs: number, _requestId?: string): Acquired {
    const now = this.now()
    if (--this.untilSweep <= 0) this.sweep(now)
    const logs = limits.map((limit) => {
      const key = `${scope}:${limit.name}`
      const log = this.logs.get(key)
      const entries = log === undefined ? [] : dropExpired(log.entries, now, limit.window)
      return { key, limit, log, entries, pausedUntil: this.pausedUntil(key, now) }
    })
    const slot = earliestSlot(logs, now)
    const waitMs = slot.at - now
    if (waitMs > maxWaitMs) return { admitted: false, waitMs, decidedBy: slot.decidedBy as string }
    // Appended in place: copying the log per request cost O(entries), 34 µs at 4000 entries.
    for (const { key, limit, log, entries } of logs) {
      entries.push(slot.at)
      if (log === undefined) this.logs.set(key, { window: limit.window, entries })
      else log.window = limit.window
    }
    return { admitted: true, waitMs, decidedBy: slot.decidedBy }
  }

  async pause(scope: string, limits: readonly SlotLimit[], ms: number): Promise<void> {
    const until = this.now() + ms
    for (const limit of limits) {
      const key = `${scope}:${limit.name}`
      this.pauses.set(key, Math.max(until, this.pauses.get(key) ?? 0))
    }
  }

  async close(): Promise<void> {}

  /** How many logs and pauses are kept (for tests of the sweep). */
  get size(): number {
    return this.logs.size + this.pauses.size
  }

  private sweep(now: number) {
    this.untilSweep = SWEEP_EVERY
    for (const [key, log] of this.logs) if ((log.entries.at(-1) ?? 0) <= now - log.window) this.logs.delete(key)
    for (const [key, until] of this.pauses) if (until <= now) this.pauses.delete(key)
  }

  private pausedUntil(key: string, now: number): number {
    const until = this.pauses.get(key) ?? 0
    if (until <= now) this.pauses.delete(key)
    return until
  }
}

/**
 * Drops, in place, the entries that no longer count (at or before now - window), as prune() does,
 * in batches: the log is sorted, so its first live entry is found by binary search, and the
 * expired head is cut once it is a quarter of the log. Cutting it on every slot cost a copy of a
 * log of thousands of entries. The expired entries left meanwhile change no decision:
 * earliestSlot reads only the latest entry and the newest `limit` ones, and an expired entry's
 * slot is free before now.
 */
function dropExpired(entries: number[], now: number, window: number): number[] {
  const cutoff = now - window
  let low = 0
  let high = entries.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((entries[middle] as number) <= cutoff) low = middle + 1
    else high = middle
  }
  if (low > 0 && low * 4 >= entries.length) entries.splice(0, low)
  return entries
}
