// The rate limiter of one sidecar: asks the store for a slot, falls back as `onStoreError` says
// when the store fails, learns pauses from Didit's 429, and reports every decision as an event.
// It decides and reports; the gate (gate.ts) sleeps and sends.
import type { Config } from '../config/schema.js'
import type { Events, RateLimitResult } from '../observe/events.js'
import { applicableLimits, type SlotLimit } from './limits.js'
import { MemoryRateLimitStore } from './memory-store.js'
import type { Acquired, RateLimitStore } from './store.js'
import { pauseFor } from './upstream-429.js'

type RateLimitConfig = Config['rateLimit']

export interface SlotRequest {
  route: string
  requestId: string
  /** Hash of the API key in use. */
  scope: string
  limits: readonly SlotLimit[]
  maxWaitMs: number
}

export type Ticket =
  | { kind: 'go'; waitMs: number }
  | { kind: 'refused'; waitMs: number; limit: string }
  | { kind: 'unavailable'; error: unknown }

export interface LimiterDeps {
  store: RateLimitStore
  events: Events
  /** Monotonic ms (the local fallback's clock). */
  now(): number
  /** Wall-clock ms, for X-RateLimit-Reset. */
  wallClock(): number
}

type LimitRoute = Parameters<typeof applicableLimits>[2]

// The common ticket, shared rather than made per attempt: nobody writes to a ticket.
const GO_NOW: Ticket = Object.freeze({ kind: 'go', waitMs: 0 })

export class RateLimiter {
  private readonly local: MemoryRateLimitStore
  // Routes are the matcher's fixed objects, so a route's limits are built once per method, not per request.
  private readonly limitsByRoute = new WeakMap<LimitRoute, Map<string, readonly SlotLimit[]>>()

  constructor(
    private readonly config: RateLimitConfig,
    private readonly deps: LimiterDeps
  ) {
    this.local = deps.store instanceof MemoryRateLimitStore ? deps.store : new MemoryRateLimitStore(deps.now)
  }

  limitsFor(method: string, route: LimitRoute): readonly SlotLimit[] {
    let byMethod = this.limitsByRoute.get(route)
    if (byMethod === undefined) {
      byMethod = new Map()
      this.limitsByRoute.set(route, byMethod)
    }
    let limits = byMethod.get(method)
    if (limits === undefined) {
      limits = applicableLimits(this.config, method, route)
      byMethod.set(method, limits)
    }
    return limits
  }

  get maxWait(): number {
    return this.config.maxWait
  }

  /**
   * A ticket at once when the store decides at once (memory, and the `local` fallback), else a
   * promise of one (Redis). Both paths make the same decision and emit the same event.
   */
  take(request: SlotRequest): Ticket | Promise<Ticket> {
    const { store } = this.deps
    if (store.acquireNow === undefined) return this.takeFrom(store, request)
    const { scope, limits, maxWaitMs, requestId } = request
    let acquired: Acquired
    try {
      acquired = store.acquireNow(scope, limits, maxWaitMs, requestId)
    } catch (error) {
      return this.storeFailed(request, error)
    }
    return this.ticket(request, acquired)
  }

  private async takeFrom(store: RateLimitStore, request: SlotRequest): Promise<Ticket> {
    const { scope, limits, maxWaitMs, requestId } = request
    let acquired: Acquired
    try {
      acquired = await store.acquire(scope, limits, maxWaitMs, requestId)
    } catch (error) {
      return this.storeFailed(request, error)
    }
    return this.ticket(request, acquired)
  }

  /** The store failed: counted, then `onStoreError` decides (the local store decides at once). */
  private storeFailed(request: SlotRequest, error: unknown): Ticket {
    const { scope, limits, maxWaitMs, requestId } = request
    this.emit(request, (limits[0] as SlotLimit).name, 'store_error', 0)
    if (this.config.store.onStoreError === 'pass') return GO_NOW
    if (this.config.store.onStoreError === 'reject') return { kind: 'unavailable', error }
    return this.ticket(request, this.local.acquireNow(scope, limits, maxWaitMs, requestId))
  }

  private ticket(request: SlotRequest, acquired: Acquired): Ticket {
    // The limit that decided: the one waited on or refused by, else the route's own, else the shared one.
    const limit = acquired.decidedBy ?? (request.limits[0] as SlotLimit).name
    if (!acquired.admitted) {
      this.emit(request, limit, 'rejected', acquired.waitMs)
      return { kind: 'refused', waitMs: acquired.waitMs, limit }
    }
    const { waitMs } = acquired
    this.emit(request, limit, waitMs > 0 ? 'delayed' : 'admitted', waitMs)
    return waitMs === 0 ? GO_NOW : { kind: 'go', waitMs }
  }

  /** Didit answered 429: pause the request's limits for its scope on every replica sharing the store. */
  async learn(request: Omit<SlotRequest, 'maxWaitMs'>, headers: Record<string, string | string[] | undefined>) {
    const { scope, limits } = request
    this.emit(request, (limits[0] as SlotLimit).name, 'upstream_429', 0)
    const longest = Math.max(...limits.map((limit) => limit.window))
    const ms = pauseFor(headers, this.deps.wallClock(), longest)
    if (ms === null || ms <= 0) return
    try {
      await this.deps.store.pause(scope, limits, ms)
    } catch {
      this.emit(request, (limits[0] as SlotLimit).name, 'store_error', 0)
      if (this.config.store.onStoreError === 'local') await this.local.pause(scope, limits, ms)
    }
  }

  close(): Promise<void> {
    return this.deps.store.close()
  }

  private emit(
    request: Pick<SlotRequest, 'route' | 'requestId'>,
    limit: string,
    result: RateLimitResult,
    waitMs: number
  ) {
    this.deps.events.emit('rateLimit', { route: request.route, requestId: request.requestId, limit, result, waitMs })
  }
}
