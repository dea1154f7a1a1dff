// What happens to a request, as events. The retry loop and the handler emit; metrics and logs
// listen. Nothing that decides anything imports prom-client or a logger.
import { EventEmitter } from 'node:events'

interface Base {
  route: string
  requestId: string
}

/** One upstream try. `result` is the status code or the failure name (bounded labels). */
export interface AttemptEvent extends Base {
  attempt: number
  result: string
  durationMs: number
}

/** A retry about to happen after `waitMs`. `reason` is the condition that triggered it. */
export interface RetryEvent extends Base {
  attempt: number
  reason: string
  waitMs: number
}

export type SkipReason = 'body_too_large' | 'buffer_budget' | 'deadline' | 'retry_after' | 'client_gone'
/** A retryable failure that was not retried for a reason other than the budget. */
export interface RetrySkippedEvent extends Base {
  reason: SkipReason
}

/**
 * An upstream response body that failed after its head: `reason` is the failure (timeout: silent
 * longer than upstream.bodyIdleTimeout; reset; protocol; other), or `discarded` for the body of a
 * retried answer cut at its bound (the request's deadline).
 */
export interface BodyFailedEvent extends Base {
  reason: string
}

export interface KeyEvent extends Base {
  source: 'client' | 'generated'
}

export type IdempotencyResult = 'new' | 'replayed' | 'coalesced' | 'conflict' | 'mismatch' | 'store_error' | 'unscoped' // no credentials: forwarded without deduplication
export interface IdempotencyEvent extends Base {
  result: IdempotencyResult
}

export type RateLimitResult = 'admitted' | 'delayed' | 'rejected' | 'upstream_429' | 'store_error'
/** One slot decision of the rate limiter (every attempt takes a slot), or Didit's 429; `limit` is the limit that decided. */
export interface RateLimitEvent extends Base {
  limit: string
  result: RateLimitResult
  /** How long the request waited for its slot (delayed), or would have had to (rejected). */
  waitMs: number
}

/** How a request ended (bounded label). */
export type Outcome =
  | 'completed' // the upstream's answer, not a condition that is retried
  | 'exhausted' // maxAttempts used up on retryable conditions
  | 'budget' // the route's retry budget refused a retry
  | 'deadline' // the request timeout ended the retries
  | 'retry_after' // upstream asked to wait longer than retryAfter.max
  | 'not_retryable' // a failure that is not safe or not configured to retry
  | 'body_too_large' // not retried: the body was streamed, not buffered
  | 'replayed' // answered from the idempotency store
  | 'rejected' // refused by the sidecar before reaching upstream
  | 'aborted' // the response broke after it had started, or the client went away

export interface ResponseEvent extends Base {
  method: string
  status: number
  outcome: Outcome
  durationMs: number
  attempts: number
  idempotencyKey?: string
  path: string
  /** Time spent waiting for rate-limit slots, every attempt included; absent when nothing was limited. */
  rateLimitWaitMs?: number
}

export interface SidecarEvents {
  /** A request was accepted for handling; exactly one `response` follows it. */
  arrival: [Base]
  attempt: [AttemptEvent]
  retry: [RetryEvent]
  retrySkipped: [RetrySkippedEvent]
  budgetExhausted: [Base]
  bodyFailed: [BodyFailedEvent]
  idempotencyKey: [KeyEvent]
  idempotency: [IdempotencyEvent]
  rateLimit: [RateLimitEvent]
  response: [ResponseEvent]
}

export class Events extends EventEmitter<SidecarEvents> {}
