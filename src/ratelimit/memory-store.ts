// One replica's sliding-window logs, in memory: the `memory` store, and the `local` fallback when
// Redis fails. The decision is the pure earliestSlot(); the clock is injected.
import type { SlotLimit } from './limits.js'
import type { Acquired, RateLimitStore } from './store.js'
import { earliestSlot, prune } from './window.js'

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly logs = new Map<string, number[]>()
  private readonly pauses = new Map<string, number>()

  constructor(private readonly now: () => number) {}

  async acquire(scope: string, limits: readonly SlotLimit[], maxWaitMs: number, _member?: string): Promise<Acquired> {
    const now = this.now()
    const logs = limits.map((limit) => {
      const key = `${scope}:${limit.name}`
      const entries = prune(this.logs.get(key) ?? [], now, limit.window)
      // Kept only while it counts, so that scopes seen once do not stay in memory.
      if (entries.length === 0) this.logs.delete(key)
      else this.logs.set(key, entries)
      return { key, limit, entries, pausedUntil: this.pausedUntil(key, now) }
    })
    const slot = earliestSlot(logs, now)
    const waitMs = slot.at - now
    if (waitMs > maxWaitMs) return { admitted: false, waitMs, decidedBy: slot.decidedBy as string }
    for (const { key, entries } of logs) this.logs.set(key, [...entries, slot.at])
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

  private pausedUntil(key: string, now: number): number {
    const until = this.pauses.get(key) ?? 0
    if (until <= now) this.pauses.delete(key)
    return until
  }
}
