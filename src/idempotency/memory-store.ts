// A single-process store: entries expire by the injected clock and are swept periodically; at most
// `maxEntries` entries and about `maxBytes` bytes are kept. Each scope (tenant) may hold at most
// `scopeShare` of both bounds, and eviction only ever drops completed responses, oldest first:
// losing a claim would let a duplicate reach upstream. Beyond its share, a scope's claim is refused.
import { type Bounds, entryBytes, type Held, mostHeld, overBy } from './memory-bounds.js'
import { type Entry, type IdempotencyStore, type StoredResponse, StoreUnavailableError } from './store.js'

interface Slot<E extends Entry> {
  entry: E
  expiresAt: number
  bytes: number
}
type Claim = Extract<Entry, { state: 'in-flight' }>
type Completed = Extract<Entry, { state: 'completed' }>

/** One scope's entries; claims and completed responses in separate insertion-ordered maps (LRU order). */
class Scope {
  readonly claims = new Map<string, Slot<Claim>>()
  readonly completed = new Map<string, Slot<Completed>>()
  readonly held: Held = { entries: 0, bytes: 0 }
  readonly claimed: Held = { entries: 0, bytes: 0 }
}

// Often enough that expired answers do not pile up between lookups, rarely enough to cost nothing.
const SWEEP_INTERVAL = 10_000

export interface MemoryStoreOptions {
  maxEntries: number
  /** Approximate bytes held by entries (bodies, headers, keys); unbounded when absent. */
  maxBytes?: number
  /** Fraction (0-1] of both bounds one scope may hold; 1 when absent. */
  scopeShare?: number
  /** The scope (tenant) of a store key; one scope for all when absent. */
  scopeOf?: (key: string) => string
  /** How often expired entries are dropped, in ms. */
  sweepInterval?: number
  now?: () => number
}

export class MemoryStore implements IdempotencyStore {
  private readonly scopes = new Map<string, Scope>()
  private readonly held: Held = { entries: 0, bytes: 0 }
  private readonly claimed: Held = { entries: 0, bytes: 0 }
  private readonly bounds: Bounds
  private readonly share: Bounds
  private readonly scopeOf: (key: string) => string
  private readonly now: () => number
  private readonly sweeper: NodeJS.Timeout

  constructor(options: MemoryStoreOptions) {
    const share = options.scopeShare ?? 1
    this.bounds = { entries: options.maxEntries, bytes: options.maxBytes ?? Number.POSITIVE_INFINITY }
    this.share = { entries: Math.max(1, Math.floor(this.bounds.entries * share)), bytes: this.bounds.bytes * share }
    this.scopeOf = options.scopeOf ?? (() => '')
    this.now = options.now ?? Date.now
    this.sweeper = setInterval(() => this.sweep(), options.sweepInterval ?? SWEEP_INTERVAL).unref()
  }

  /** Entries held, claims included. */
  get size(): number {
    return this.held.entries
  }

  /** Approximate bytes held. */
  get bytes(): number {
    return this.held.bytes
  }

  async claim(key: string, fingerprint: string, owner: string, lockTtl: number): Promise<Entry | null> {
    const existing = this.lookup(key)
    if (existing) return existing
    const entry: Claim = { state: 'in-flight', fingerprint, owner }
    const slot = { entry, expiresAt: this.now() + lockTtl, bytes: entryBytes(key, entry) }
    const scope = this.scope(key)
    // Claims are never evicted, so a claim that only other claims could make room for is refused.
    const one = { entries: 1, bytes: slot.bytes }
    if (overBy(scope.claimed, one, this.share) || overBy(this.claimed, one, this.bounds)) {
      this.dropIfEmpty(key, scope)
      throw new StoreUnavailableError('memory store: in-flight claims fill the tenant share or the whole store')
    }
    this.add(scope, scope.claims, key, slot)
    this.makeRoom(scope)
    return null
  }

  async get(key: string): Promise<Entry | null> {
    return this.lookup(key)
  }

  async complete(key: string, owner: string, fingerprint: string, response: StoredResponse, ttl: number) {
    const scope = this.owned(key, owner)
    if (!scope) return false
    const entry: Completed = { state: 'completed', fingerprint, response: copy(response) }
    // Added before the claim goes, so that the scope is never empty (and dropped) in between.
    this.add(scope, scope.completed, key, { entry, expiresAt: this.now() + ttl, bytes: entryBytes(key, entry) })
    this.remove(scope, scope.claims, key)
    this.makeRoom(scope)
    return true
  }

  async release(key: string, owner: string): Promise<boolean> {
    const scope = this.owned(key, owner)
    if (!scope) return false
    this.remove(scope, scope.claims, key)
    return true
  }

  async renew(key: string, owner: string, lockTtl: number): Promise<boolean> {
    const slot = this.owned(key, owner)?.claims.get(key)
    if (!slot) return false
    slot.expiresAt = this.now() + lockTtl
    return true
  }

  /** Drops every expired entry; runs every sweep interval. */
  sweep(): void {
    const now = this.now()
    for (const scope of [...this.scopes.values()]) {
      for (const map of [scope.claims, scope.completed] as Map<string, Slot<Entry>>[]) {
        for (const [key, slot] of map) if (slot.expiresAt <= now) this.remove(scope, map, key)
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper)
    this.scopes.clear()
    for (const held of [this.held, this.claimed]) Object.assign(held, { entries: 0, bytes: 0 })
  }

  private scope(key: string): Scope {
    const name = this.scopeOf(key)
    let scope = this.scopes.get(name)
    if (!scope) {
      scope = new Scope()
      this.scopes.set(name, scope)
    }
    return scope
  }

  /** The scope of `key` when `owner` holds a live claim on it. */
  private owned(key: string, owner: string): Scope | null {
    const entry = this.lookup(key)
    return entry?.state === 'in-flight' && entry.owner === owner ? (this.scopes.get(this.scopeOf(key)) ?? null) : null
  }

  /** The live entry for `key`; an expired one is dropped on the way. A replayed response counts as recently used. */
  private lookup(key: string): Entry | null {
    const scope = this.scopes.get(this.scopeOf(key))
    if (!scope) return null
    const claim = scope.claims.get(key)
    if (claim) return this.live(scope, scope.claims, key, claim)
    const done = scope.completed.get(key)
    if (!done) return null
    const entry = this.live(scope, scope.completed, key, done)
    if (entry) {
      scope.completed.delete(key)
      scope.completed.set(key, done)
    }
    return entry
  }

  private live<E extends Entry>(scope: Scope, map: Map<string, Slot<E>>, key: string, slot: Slot<E>): E | null {
    if (slot.expiresAt > this.now()) return slot.entry
    this.remove(scope, map, key)
    return null
  }

  /** Evicts completed responses: the scope's own beyond its share, then the largest scope's beyond the bounds. */
  private makeRoom(scope: Scope): void {
    while (overBy(scope.held, { entries: 0, bytes: 0 }, this.share) && this.evictOldest(scope)) {}
    while (overBy(this.held, { entries: 0, bytes: 0 }, this.bounds)) {
      const victim = mostHeld(
        [...this.scopes.values()].filter((each) => each.completed.size > 0),
        this.bounds
      )
      if (!victim || !this.evictOldest(victim)) return
    }
  }

  private evictOldest(scope: Scope): boolean {
    const oldest = scope.completed.keys().next()
    if (oldest.done) return false
    this.remove(scope, scope.completed, oldest.value)
    return true
  }

  private add<E extends Entry>(scope: Scope, map: Map<string, Slot<E>>, key: string, slot: Slot<E>): void {
    map.set(key, slot)
    this.count(scope, slot, 1)
  }

  private remove<E extends Entry>(scope: Scope, map: Map<string, Slot<E>>, key: string): void {
    const slot = map.get(key)
    if (!slot) return
    map.delete(key)
    this.count(scope, slot, -1)
    this.dropIfEmpty(key, scope)
  }

  /** Adds (1) or subtracts (-1) a slot to the scope's and the store's counters, and to the claims' when it is one. */
  private count(scope: Scope, slot: Slot<Entry>, sign: 1 | -1): void {
    const counters = [scope.held, this.held]
    if (slot.entry.state === 'in-flight') counters.push(scope.claimed, this.claimed)
    for (const held of counters) {
      held.entries += sign
      held.bytes += sign * slot.bytes
    }
  }

  private dropIfEmpty(key: string, scope: Scope): void {
    if (scope.held.entries === 0) this.scopes.delete(this.scopeOf(key))
  }
}

/** The store keeps its own copy: a caller reusing its buffer must not change a stored replay. */
function copy(response: StoredResponse): StoredResponse {
  return { status: response.status, headers: structuredClone(response.headers), body: Buffer.from(response.body) }
}
