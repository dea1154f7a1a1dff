// What the proxy does around forwarding a request that carries an Idempotency-Key: `admit` before
// (claim, replay, wait for the original, or refuse), `settle` after (store the answer or release).
// Follows the IETF draft (409 in flight, 422 on reuse with another payload) and Stripe (5xx replayed).
import { randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { type Entry, type IdempotencyStore, type StoredResponse, StoreUnavailableError } from './store.js'
import { shouldStore } from './stored.js'

/** Retry-After for a 409, in whole seconds, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000))
}

export interface CoordinatorOptions {
  concurrent: 'wait' | 'reject'
  waitTimeout: number
  pollInterval: number
  lockTtl: number
  ttl: number
  maxResponseBody: number
  onStoreError: 'pass' | 'reject'
}

export interface Claim {
  key: string
  owner: string
  fingerprint: string
}

export type Admission =
  | { action: 'proceed'; claim: Claim; result: 'new' }
  | { action: 'replay'; response: StoredResponse; result: 'replayed' | 'coalesced' }
  | { action: 'conflict'; result: 'conflict'; retryAfter: number }
  | { action: 'mismatch'; result: 'mismatch' }
  | { action: 'bypass'; result: 'store_error'; error: StoreUnavailableError }
  | { action: 'unavailable'; result: 'store_error'; error: StoreUnavailableError }

export interface FinalResponse extends StoredResponse {
  /** False for the sidecar's own answers (502/504 problem+json), stored only when `ambiguous`. */
  fromUpstream: boolean
  /** The sidecar's own answer to a request Didit may have processed (stored.ts `keepsKey`): stored, releaseOn not applied. */
  ambiguous?: boolean
  /** Statuses that release the key instead of being stored (the route's `idempotency.releaseOn`); 429 and 503 by default. */
  releaseOn?: readonly number[]
}

export type Settlement = 'stored' | 'released' | 'lost' | 'store_error'

export interface Clock {
  now(): number
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /** Calls `fn` every `ms` until the returned stop is called (default: an unref'd interval timer). */
  every?(ms: number, fn: () => void): () => void
}

const systemClock: Clock = { now: Date.now, sleep: (ms, signal) => delay(ms, undefined, { signal }) }

function every(ms: number, fn: () => void): () => void {
  const timer = setInterval(fn, ms).unref()
  return () => clearInterval(timer)
}

// Renewed three times per lockTtl, so that one late or failed renewal does not lose a live claim.
const RENEWALS_PER_LOCK_TTL = 3

/** The answer for an existing entry, or null while the original with the same fingerprint is in flight. */
export function answerFor(entry: Entry, fingerprint: string, waited: boolean): Admission | null {
  if (entry.fingerprint !== fingerprint) return { action: 'mismatch', result: 'mismatch' }
  if (entry.state === 'in-flight') return null
  return { action: 'replay', response: entry.response, result: waited ? 'coalesced' : 'replayed' }
}

export class Coordinator {
  /** The renewal of each live claim, by owner: a claim lives as long as its owner works on it. */
  private readonly leases = new Map<string, () => void>()
  /** Aborted by `close`: settles still retrying a store error give up. */
  private readonly closing = new AbortController()

  constructor(
    private readonly store: IdempotencyStore,
    private readonly options: CoordinatorOptions,
    private readonly clock: Clock = systemClock
  ) {}

  /** Claims being renewed (settled ones are not). */
  get held(): number {
    return this.leases.size
  }

  /**
   * Decides what to do with a request. Rejects only when `signal` aborts a wait (the default clock: an AbortError).
   * A `proceed` claim is renewed every lockTtl/3 until `settle`, so only a dead owner's claim expires.
   */
  async admit(key: string, fingerprint: string, signal?: AbortSignal): Promise<Admission> {
    try {
      const admission = await this.decide({ key, owner: randomUUID(), fingerprint }, signal)
      if (admission.action === 'proceed') this.renew(admission.claim)
      return admission
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error
      if (this.options.onStoreError === 'pass') return { action: 'bypass', result: 'store_error', error }
      return { action: 'unavailable', result: 'store_error', error }
    }
  }

  /**
   * After the final answer: store it, or release the claim when there is nothing worth replaying.
   * A store error is retried every pollInterval for up to lockTtl while the claim is still renewed:
   * an answer lost to a short outage (a Redis restart) would let the client's retry be billed again.
   */
  async settle(claim: Claim, response: FinalResponse | null): Promise<Settlement> {
    const { key, owner, fingerprint } = claim
    const { ttl, maxResponseBody, pollInterval, lockTtl } = this.options
    const kept =
      response !== null &&
      shouldStore(
        response.status,
        response.fromUpstream,
        response.body.length,
        maxResponseBody,
        response.releaseOn,
        response.ambiguous
      )
    const write = async (): Promise<Settlement> => {
      if (kept) {
        const { status, headers, body } = response
        return (await this.store.complete(key, owner, fingerprint, { status, headers, body }, ttl)) ? 'stored' : 'lost'
      }
      return (await this.store.release(key, owner)) ? 'released' : 'lost'
    }
    const giveUp = this.clock.now() + lockTtl
    try {
      for (;;) {
        try {
          return await write()
        } catch (error) {
          if (!(error instanceof StoreUnavailableError)) throw error
          if (this.clock.now() + pollInterval >= giveUp || this.closing.signal.aborted) return 'store_error'
          await this.clock.sleep(pollInterval, this.closing.signal).catch(() => undefined)
        }
      }
    } finally {
      this.stopRenewing(owner)
    }
  }

  /** Stops renewing every claim (shutdown): claims not settled by then expire within lockTtl. */
  close(): void {
    this.closing.abort()
    for (const owner of [...this.leases.keys()]) this.stopRenewing(owner)
  }

  private renew(claim: Claim): void {
    const { lockTtl } = this.options
    let pending = false
    const tick = () => {
      if (pending) return
      pending = true
      this.store
        .renew(claim.key, claim.owner, lockTtl)
        .then(
          // Not the owner's any more (expired during a store outage, or taken): nothing left to keep.
          (held) => held || this.stopRenewing(claim.owner),
          // A store error: the claim may still be alive, so the next tick tries again.
          () => {}
        )
        .finally(() => {
          pending = false
        })
    }
    const interval = Math.max(1, Math.floor(lockTtl / RENEWALS_PER_LOCK_TTL))
    this.leases.set(claim.owner, (this.clock.every ?? every)(interval, tick))
  }

  private stopRenewing(owner: string): void {
    this.leases.get(owner)?.()
    this.leases.delete(owner)
  }

  /** Claims the key, or polls an in-flight original until it completes, disappears, or waitTimeout passes. */
  private async decide(claim: Claim, signal?: AbortSignal): Promise<Admission> {
    const { concurrent, waitTimeout, pollInterval, lockTtl } = this.options
    const { key, owner, fingerprint } = claim
    const deadline = this.clock.now() + waitTimeout
    const conflict = { action: 'conflict', result: 'conflict', retryAfter: retryAfterSeconds(pollInterval) } as const
    let entry = await this.store.claim(key, fingerprint, owner, lockTtl)
    if (entry === null) return { action: 'proceed', claim, result: 'new' }
    for (let waited = false; ; waited = true) {
      const answer = answerFor(entry, fingerprint, waited)
      if (answer) return answer
      const remaining = deadline - this.clock.now()
      if (concurrent === 'reject' || remaining <= 0) return conflict
      await this.clock.sleep(Math.min(pollInterval, remaining), signal)
      const polled = await this.poll(key)
      // The key is known to be in flight: a store error must not send this duplicate upstream
      // (onStoreError's `pass` applies to the first claim only), so it keeps waiting; 409 at waitTimeout.
      if (polled === 'unavailable') continue
      entry = polled
      // Gone: the original ended with nothing to replay (429/503, the sidecar's own error, an
      // answer over maxResponseBody, or its owner died). A duplicate never goes upstream in its
      // place, or a processed request could run twice; its client's retry will.
      if (entry === null) return conflict
    }
  }

  /** The entry now, or 'unavailable' on a store error. */
  private async poll(key: string): Promise<Entry | null | 'unavailable'> {
    try {
      return await this.store.get(key)
    } catch (error) {
      if (error instanceof StoreUnavailableError) return 'unavailable'
      throw error
    }
  }
}
