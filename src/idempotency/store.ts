// What the idempotency layer keeps per key, and the contract that the memory and Redis stores share.
// An entry is first an owner's short-lived claim (lockTtl), then the completed response (ttl):
// two lifetimes, so that a crashed owner never wedges a key for a day (express-idempotency#32).

export interface StoredResponse {
  status: number
  headers: Record<string, string | string[]>
  body: Buffer
}

export type Entry =
  | { state: 'in-flight'; fingerprint: string; owner: string }
  | { state: 'completed'; fingerprint: string; response: StoredResponse }

export interface IdempotencyStore {
  /** Atomically claims `key` for `owner` for `lockTtl` ms unless an entry exists (Redis: SET NX PX). Returns null when claimed, else the existing entry. */
  claim(key: string, fingerprint: string, owner: string, lockTtl: number): Promise<Entry | null>
  get(key: string): Promise<Entry | null>
  /** Replaces the owner's claim with the completed response for `ttl` ms; false when the claim is no longer the owner's (expired or taken). Atomic compare-and-set. */
  complete(key: string, owner: string, fingerprint: string, response: StoredResponse, ttl: number): Promise<boolean>
  /** Deletes the owner's claim (compare-and-delete); false when it is not the owner's. */
  release(key: string, owner: string): Promise<boolean>
  /** Extends the owner's claim to `lockTtl` ms from now (compare-and-expire); false when it is not the owner's. */
  renew(key: string, owner: string, lockTtl: number): Promise<boolean>
  close(): Promise<void>
}

/** Any store failure (connection refused, timeout, Redis down). The only error a store throws. */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE'

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options)
    this.name = 'StoreUnavailableError'
  }
}
