// What the memory store counts against its bounds: entries and approximate bytes, per scope and in all.

export interface Held {
  entries: number
  bytes: number
}
export type Bounds = Held

// Per entry beyond its strings and body: the Map slot, the entry objects and the Buffer header.
const ENTRY_OVERHEAD = 256

/** Approximate bytes an entry holds: its key, strings, headers and body. */
export function entryBytes(
  key: string,
  entry: {
    fingerprint: string
    owner?: string
    response?: { headers: Record<string, string | string[]>; body: Buffer }
  }
): number {
  let bytes = ENTRY_OVERHEAD + key.length + entry.fingerprint.length + (entry.owner?.length ?? 0)
  if (!entry.response) return bytes
  bytes += entry.response.body.length
  for (const [name, value] of Object.entries(entry.response.headers)) {
    bytes += name.length
    for (const each of Array.isArray(value) ? value : [value]) bytes += each.length
  }
  return bytes
}

/** Whether `held` plus `more` exceeds `bounds` in entries or in bytes. */
export function overBy(held: Held, more: Held, bounds: Bounds): boolean {
  return held.entries + more.entries > bounds.entries || held.bytes + more.bytes > bounds.bytes
}

/** The fullest of `candidates` relative to `bounds` (entries or bytes, whichever is fuller); undefined when none. */
export function mostHeld<T extends { held: Held }>(candidates: Iterable<T>, bounds: Bounds): T | undefined {
  let fullest: T | undefined
  let most = -1
  for (const candidate of candidates) {
    const fullness = Math.max(candidate.held.entries / bounds.entries, candidate.held.bytes / bounds.bytes)
    if (fullness > most) {
      most = fullness
      fullest = candidate
    }
  }
  return fullest
}
