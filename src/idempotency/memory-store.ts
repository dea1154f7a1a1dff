// A single-process store: entries expire by the injected clock, and at most `maxEntries` are kept.
// Claims and completed responses live in separate insertion-ordered maps, so that eviction takes
// the oldest completed response first: losing a claim would let a duplicate reach upstream.
import type { Entry, IdempotencyStore, StoredResponse } from './store.js'

interface Slot<E extends Entry> {
  entry: E
  expiresAt: number
}
type Claim = Extract<Entry, { state: 'in-flight' }>
type Completed = Extract<Entry, { state: 'completed' }>

export interface MemoryStoreOptions {
  maxEntries: number
  now?: () => number
}

export class MemoryStore implements IdempotencyStore {
  private readonly claims = new Map<string, Slot<Claim>>()
  private readonly completed = new Map<string, Slot<Completed>>()
  private readonly maxEntries: number
  private readonly now: () => number

  constructor(options: MemoryStoreOptions) {
    this.maxEntries = options.maxEntries
    this.now = options.now ?? Date.now
  }

  get size(): number {
    return this.claims.size + this.completed.size
  }

  async claim(key: string, fingerprint: string, owner: string, lockTtl: number): Promise<Entry | null> {
    const existing = this.lookup(key)
    if (existing) return existing
    this.claims.set(key, { entry: { state: 'in-flight', fingerprint, owner }, expiresAt: this.now() + lockTtl })
    this.evict()
    return null
  }

  async get(key: string): Promise<Entry | null> {
    return this.lookup(key)
  }

  async complete(
    key: string,
    owner: string,
    fingerprint: string,
    response: StoredResponse,
    ttl: number
  ): Promise<boolean> {
    if (!this.owns(key, owner)) return false
    this.claims.delete(key)
    const entry: Completed = { state: 'completed', fingerprint, response: copy(response) }
    this.completed.set(key, { entry, expiresAt: this.now() + ttl })
    this.evict()
    return true
  }

  async release(key: string, owner: string): Promise<boolean> {
    return this.owns(key, owner) && this.claims.delete(key)
  }

  async close(): Promise<void> {
    this.claims.clear()
    this.completed.clear()
  }

  private owns(key: string, owner: string): boolean {
    const entry = this.lookup(key)
    return entry?.state === 'in-flight' && entry.owner === owner
  }

  /** The live entry for `key`; an expired one is dropped on the way. A replayed response counts as recently used. */
  private lookup(key: string): Entry | null {
    const claim = this.claims.get(key)
    if (claim) return this.live(this.claims, key, claim)
    const done = this.completed.get(key)
    if (!done) return null
    const entry = this.live(this.completed, key, done)
    if (entry) {
      this.completed.delete(key)
      this.completed.set(key, done)
    }
    return entry
  }

  private live<E extends Entry>(map: Map<string, Slot<E>>, key: string, slot: Slot<E>): E | null {
    if (slot.expiresAt > this.now()) return slot.entry
    map.delete(key)
    return null
  }

  private evict(): void {
    while (this.size > this.maxEntries) {
      const victim = this.completed.size > 0 ? this.completed : this.claims
      const oldest = victim.keys().next()
      if (oldest.done) return
      victim.delete(oldest.value)
    }
  }
}

/** The store keeps its own copy: a caller reusing its buffer must not change a stored replay. */
function copy(response: StoredResponse): StoredResponse {
  return { status: response.status, headers: structuredClone(response.headers), body: Buffer.from(response.body) }
}
