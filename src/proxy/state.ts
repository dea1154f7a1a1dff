// What the stages of one request learn about it, kept on the Fastify request.
import type { Outcome } from '../observe/events.js'
import type { RetryBudget } from '../retry/budget.js'
import type { BufferLease } from './buffer-budget.js'
import type { MatchedRoute } from './routes.js'
import type { Target } from './target.js'

export interface RequestState {
  route: MatchedRoute
  budget: RetryBudget
  target: Target
  /** Monotonic ms at arrival. */
  started: number
  attempts: number
  outcome: Outcome
  idempotencyKey?: string
  /** Set when the client's connection closes before its response is complete: wakes waits. */
  left: Departure
  /** The proxy handler's work while it runs: a client that left early is logged once it ends. */
  working?: Promise<unknown>
  /** Upstream response headers copied onto the reply; a problem answer removes them. */
  upstreamHeaders?: Readonly<Record<string, unknown>>
  /** The upstream body's failure, to tell it from the sidecar's own errors. */
  upstreamBodyError?: Error
  /** Time spent waiting for rate-limit slots (ms), once any slot was taken. */
  rateLimitWaitMs?: number
  /** The request's share of the buffer budget, made when its body is read; released when the response closes. */
  lease?: BufferLease
}

/**
 * Whether the client has left, and a signal for the waits that must wake then. The AbortController
 * is made only when a wait asks for it: one per request would cost every request about 2.5 µs.
 */
export class Departure {
  #gone = false
  #controller: AbortController | undefined

  get gone(): boolean {
    return this.#gone
  }

  leave(): void {
    this.#gone = true
    this.#controller?.abort()
  }

  /** Aborted once the client has left; already aborted when made after that. */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController()
    if (this.#gone) this.#controller.abort()
    return this.#controller.signal
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    sidecar: RequestState
  }
}
