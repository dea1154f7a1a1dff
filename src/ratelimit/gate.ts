// The rate-limit stage around each upstream attempt, retries included: take a slot (waiting for it
// when it is near), then send; learn from Didit's 429. This is the one place that sleeps for a slot.
// A refused first attempt sends nothing; a refused retry ends the request the same way (429
// rate_limited), since the answer that caused the retry has already been discarded.
import { SidecarError } from '../errors.js'
import type { AttemptResult } from '../upstream/attempt.js'
import { allowedWait, retryAfterSeconds } from './decide.js'
import type { RateLimiter } from './limiter.js'
import type { SlotLimit } from './limits.js'

export interface GateInput {
  route: string
  requestId: string
  scope: string
  limits: readonly SlotLimit[]
  /** Monotonic ms after which no attempt may start (the request's retry.timeout). */
  deadline: number
  /** Called with each slot's wait, for the request's log line. */
  waited(ms: number): void
}

export interface GateDeps {
  now(): number
  sleep(ms: number): Promise<void>
}

export type Send = (perTryTimeout: number) => Promise<AttemptResult>
export type Limited = (perTryTimeout: number, send: Send) => Promise<AttemptResult>

/**
 * The request's gate. Awaits only what must be waited for: a store that answers later (Redis), a
 * slot in the future, the answer. With a slot free now in the memory store, the slot is taken and
 * the attempt sent before the first await.
 */
export function gate(limiter: RateLimiter, input: GateInput, deps: GateDeps): Limited {
  return async (perTryTimeout, send) => {
    const maxWaitMs = allowedWait(limiter.maxWait, input.deadline, deps.now())
    const { route, requestId, scope, limits } = input
    const taken = limiter.take({ route, requestId, scope, limits, maxWaitMs })
    const ticket = taken instanceof Promise ? await taken : taken
    if (ticket.kind === 'refused') {
      const seconds = retryAfterSeconds(ticket.waitMs)
      throw new SidecarError('rate_limited', `No slot of the "${ticket.limit}" limit within ${maxWaitMs} ms`, {
        headers: { 'retry-after': String(seconds) },
        extensions: { limit: ticket.limit }
      })
    }
    if (ticket.kind === 'unavailable')
      throw new SidecarError('rate_limit_unavailable', undefined, { cause: ticket.error })
    if (ticket.waitMs > 0) await deps.sleep(ticket.waitMs)
    input.waited(ticket.waitMs)
    // The per-try timeout was computed before the wait; the deadline still holds.
    const result = await send(Math.min(perTryTimeout, input.deadline - deps.now()))
    if (result.kind === 'response' && result.status === 429) {
      await limiter.learn({ route, requestId, scope, limits }, result.headers)
    }
    return result
  }
}
