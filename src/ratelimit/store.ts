// The contract the memory and Redis stores share: one atomic decision per slot over every limit
// that applies, and pauses learnt from Didit's 429. A store never sleeps; the gate does.
import type { SlotLimit } from './limits.js'

/** `waitMs` from now until the slot; refused when it is beyond the allowed wait (then nothing was taken). */
export type Acquired =
  | { admitted: true; waitMs: number; decidedBy: string | null }
  | { admitted: false; waitMs: number; decidedBy: string }

export interface RateLimitStore {
  /**
   * Atomically finds the earliest slot free in every limit of `scope`, and takes it for `requestId`
   * when it is at most `maxWaitMs` away. A store that names its entries makes each one unique itself.
   */
  acquire(scope: string, limits: readonly SlotLimit[], maxWaitMs: number, requestId: string): Promise<Acquired>
  /**
   * The same decision as acquire, made at once, by a store that needs no I/O (memory); absent on a
   * store that must ask a server (Redis). It spares the common case a promise per layer (issue 9).
   */
  acquireNow?(scope: string, limits: readonly SlotLimit[], maxWaitMs: number, requestId: string): Acquired
  /** No slot of these limits of `scope` before `ms` from now (a longer pause already set is kept). */
  pause(scope: string, limits: readonly SlotLimit[], ms: number): Promise<void>
  close(): Promise<void>
}

/** Any store failure (connection refused, timeout, Redis down). The only error a store throws. */
export class RateLimitStoreError extends Error {
  readonly code = 'RATE_LIMIT_STORE_UNAVAILABLE'

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options)
    this.name = 'RateLimitStoreError'
  }
}
