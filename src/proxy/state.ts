// What the stages of one request learn about it, kept on the Fastify request.
import type { Outcome } from '../observe/events.js'
import type { RetryBudget } from '../retry/budget.js'
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
  /** Time spent waiting for rate-limit slots (ms), once any slot was taken. */
  rateLimitWaitMs?: number
}

declare module 'fastify' {
  interface FastifyRequest {
    sidecar: RequestState
  }
}
