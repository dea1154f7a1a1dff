// The one loop that sends and sleeps. Every decision in it is a pure function from a sibling
// module (classify, backoff, wait, budget); every observation is an event. The deadline covers
// all attempts and waits (gRPC, Envoy's route timeout); no attempt starts at or after it.
import type { RetryPolicy } from '../config/schema.js'
import { SidecarError } from '../errors.js'
import type { Events, Outcome } from '../observe/events.js'
import { type AttemptResult, FAILURE_PROBLEMS } from '../upstream/attempt.js'
import { discardBody } from '../upstream/discard.js'
import { backoffDelay } from './backoff.js'
import type { RetryBudget } from './budget.js'
import { classify, type Failure, isIdempotent } from './classify.js'
import { parseRetryAfter } from './retry-after.js'
import { planWait } from './wait.js'

export interface RunInput {
  route: string
  requestId: string
  method: string
  policy: RetryPolicy
  /** False when the body was streamed: it cannot be sent twice. */
  replayable: boolean
  /** Why it was streamed (body_too_large when not given). */
  streamedReason?: 'body_too_large' | 'buffer_budget'
  /** Sends attempt number `attempt` with the given per-try timeout (ms). */
  send(attempt: number, perTryTimeout: number): Promise<AttemptResult>
  /** True once the client has gone: no point in retrying for nobody. */
  clientGone(): boolean
}

export interface RunDeps {
  budget: RetryBudget
  events: Events
  /** Monotonic ms, for deadlines and durations. */
  now(): number
  /** Wall-clock ms, for Retry-After dates. */
  wallClock(): number
  random(): number
  /** Resolves after `ms`, or early when the client goes (clientGone is checked after it); never rejects. */
  sleep(ms: number): Promise<void>
}

export type RunResult =
  | { kind: 'response'; response: Extract<AttemptResult, { kind: 'response' }>; attempts: number; outcome: Outcome }
  | {
      kind: 'error'
      error: SidecarError
      attempts: number
      outcome: Outcome
      /** The last attempt's failure when the run ended on it (the idempotency stage asks whether it was ambiguous). */
      failure?: Failure
    }

export async function runWithRetries(input: RunInput, deps: RunDeps): Promise<RunResult> {
  const { policy, route, requestId } = input
  const { events } = deps
  const deadline = deps.now() + policy.timeout
  const idempotent = isIdempotent(input.method, policy.idempotent)
  // A client that left while its request waited (for a body, a key) gets no attempt at all.
  if (input.clientGone()) return gone(0)
  deps.budget.deposit()
  let previousWait = 0

  for (let attempt = 1; ; attempt++) {
    const started = deps.now()
    const result = await input.send(attempt, Math.min(policy.perTryTimeout, deadline - started))
    const outcome =
      result.kind === 'response'
        ? ({ kind: 'response', status: result.status } as const)
        : ({ kind: 'error', failure: result.failure } as const)
    const verdict = classify(outcome, { on: policy.on, idempotent })
    events.emit('attempt', { route, requestId, attempt, result: verdict.reason, durationMs: deps.now() - started })

    if (!verdict.retryable) {
      return final(
        result,
        attempt,
        verdict.safety === 'final' && result.kind === 'response' ? 'completed' : 'not_retryable'
      )
    }
    if (attempt >= policy.maxAttempts) return final(result, attempt, 'exhausted')
    if (!input.replayable) {
      events.emit('retrySkipped', { route, requestId, reason: input.streamedReason ?? 'body_too_large' })
      return final(result, attempt, 'body_too_large')
    }
    if (input.clientGone()) {
      events.emit('retrySkipped', { route, requestId, reason: 'client_gone' })
      return final(result, attempt, 'aborted')
    }
    const retryAfter =
      result.kind === 'response' && (result.status === 429 || result.status === 503)
        ? parseRetryAfter(result.headers['retry-after'], deps.wallClock())
        : null
    const plan = planWait({
      backoff: backoffDelay(attempt, previousWait, policy.backoff, deps.random),
      retryAfter,
      honourRetryAfter: policy.retryAfter.honour,
      retryAfterMax: policy.retryAfter.max,
      now: deps.now(),
      deadline
    })
    if ('giveUp' in plan) {
      const reason = plan.giveUp === 'deadline' ? 'deadline' : 'retry_after'
      events.emit('retrySkipped', { route, requestId, reason })
      return final(result, attempt, reason)
    }
    if (!deps.budget.withdraw()) {
      events.emit('budgetExhausted', { route, requestId })
      return final(result, attempt, 'budget')
    }
    events.emit('retry', { route, requestId, attempt, reason: verdict.reason, waitMs: plan.wait })
    // The discarded answer's body is dropped alongside the wait, never past the deadline: a body
    // that stalls holds neither this request nor the next attempt.
    if (result.kind === 'response') {
      void discardBody(result.body, deadline - deps.now()).then((ended) => {
        if (ended === 'cut') events.emit('bodyFailed', { route, requestId, reason: 'discarded' })
      })
    }
    await deps.sleep(plan.wait)
    previousWait = plan.wait
    // Waits last up to retryAfter.max: the client may have left meanwhile, and nobody would read
    // the next answer (a billable call).
    if (input.clientGone()) {
      events.emit('retrySkipped', { route, requestId, reason: 'client_gone' })
      return gone(attempt)
    }
    // A timer that fired late must not start an attempt past the deadline; the answer that
    // caused the retry was already discarded, so the request ends as a timeout.
    if (deps.now() >= deadline) {
      events.emit('retrySkipped', { route, requestId, reason: 'deadline' })
      return { kind: 'error', error: new SidecarError('upstream_timeout'), attempts: attempt, outcome: 'deadline' }
    }
  }
}

/** The client left before an attempt could start: nothing to answer, nothing more sent. */
function gone(attempts: number): RunResult {
  return { kind: 'error', error: new SidecarError('client_closed'), attempts, outcome: 'aborted' }
}

function final(result: AttemptResult, attempts: number, outcome: Outcome): RunResult {
  if (result.kind === 'response') return { kind: 'response', response: result, attempts, outcome }
  const code = FAILURE_PROBLEMS[result.failure]
  const error = new SidecarError(code, undefined, { cause: result.error })
  return { kind: 'error', error, attempts, outcome, failure: result.failure }
}
