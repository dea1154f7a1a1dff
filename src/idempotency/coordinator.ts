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
  /** False for the sidecar's own answers (502/504 problem+json), which are never stored. */
  fromUpstream: boolean
  /** Statuses that release the key instead of being stored (the route's `idempotency.releaseOn`); 429 and 503 by default. */
  releaseOn?: readonly number[]
}

export type Settlement = 'stored' | 'released' | 'lost' | 'store_error'

export interface Clock {
  now(): number
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

const systemClock: Clock = { now: Date.now, sleep: (ms, signal) => delay(ms, undefined, { signal }) }

/** The answer for an existing entry, or null while the original with the same fingerprint is in flight. */
export function answerFor(entry: Entry, fingerprint: string, waited: boolean): Admission | null {
  if (entry.fingerprint !== fingerprint) return { action: 'mismatch', result: 'mismatch' }
  if (entry.state === 'in-flight') return null
  return { action: 'replay', response: entry.response, result: waited ? 'coalesced' : 'replayed' }
}

export class Coordinator {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly options: CoordinatorOptions,
    private readonly clock: Clock = systemClock
  ) {}

  /** Decides what to do with a request. Rejects only when `signal` aborts a wait (the default clock: an AbortError). */
  async admit(key: string, fingerprint: string, signal?: AbortSignal): Promise<Admission> {
    try {
      return await this.decide({ key, owner: randomUUID(), fingerprint }, signal)
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error
      if (this.options.onStoreError === 'pass') return { action: 'bypass', result: 'store_error', error }
      return { action: 'unavailable', result: 'store_error', error }
    }
  }

  /** After the final answer: store it, or release the claim when there is nothing worth replaying. */
  async settle(claim: Claim, response: FinalResponse | null): Promise<Settlement> {
    const { key, owner, fingerprint } = claim
    const { ttl, maxResponseBody } = this.options
    try {
      if (
        response &&
        shouldStore(response.status, response.fromUpstream, response.body.length, maxResponseBody, response.releaseOn)
      ) {
        const { status, headers, body } = response
        return (await this.store.complete(key, owner, fingerprint, { status, headers, body }, ttl)) ? 'stored' : 'lost'
      }
      return (await this.store.release(key, owner)) ? 'released' : 'lost'
    } catch (error) {
      if (error instanceof StoreUnavailableError) return 'store_error'
      throw error
    }
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
      entry = await this.store.get(key)
      // Gone: the original ended with nothing to replay (429/503, the sidecar's own error, an
      // answer over maxResponseBody, or its owner died). A duplicate never goes upstream in its
      // place, or a processed request could run twice; its client's retry will.
      if (entry === null) return conflict
    }
  }
}
