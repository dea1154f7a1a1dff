// The sliding-window log (exact, unlike a fixed window or a counter): every slot taken is a
// timestamp, and a new one at `at` is allowed when fewer than `limit` timestamps lie in
// (at - window, at]. Slots are handed out in order per limit — a new one is never earlier than the
// latest taken — so waiters are served first come, first served, and a slot may lie in the future
// (a reservation that the request sleeps until). The Redis store runs the same rule in Lua.
import type { SlotLimit } from './limits.js'

export interface LimitLog {
  limit: SlotLimit
  /** Slots taken, ascending, already pruned. */
  entries: readonly number[]
  /** Didit asked to pause this limit until then (0: no pause). */
  pausedUntil: number
}

export interface Slot {
  at: number
  /** The limit that pushed the slot past `now`; null when it is free at once. */
  decidedBy: string | null
}

/** The earliest moment, from `now`, at which every limit has a free slot. */
export function earliestSlot(logs: readonly LimitLog[], now: number): Slot {
  let slot: Slot = { at: now, decidedBy: null }
  for (const { limit, entries, pausedUntil } of logs) {
    const latest = entries.at(-1) ?? Number.NEGATIVE_INFINITY
    // With `limit` slots counted, the next one frees when the oldest of those leaves the window.
    const full = entries.length >= limit.limit
    const freed = full ? (entries[entries.length - limit.limit] as number) + limit.window : Number.NEGATIVE_INFINITY
    const free = Math.max(pausedUntil, latest, freed)
    if (free > slot.at) slot = { at: free, decidedBy: limit.name }
  }
  return slot
}

/** Entries that still count for some slot at or after `now`: those after now - window. */
export function prune(entries: readonly number[], now: number, window: number): number[] {
  const first = entries.findIndex((entry) => entry > now - window)
  return first === -1 ? [] : entries.slice(first)
}
