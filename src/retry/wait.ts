// How long to wait before the next attempt, or why not to make one. Retry-After is a floor on
// the backoff (as in the AWS SDKs); one longer than retryAfterMax ends the retries (as in got),
// and no attempt may start at or after the request's deadline (Envoy's route timeout, gRPC).
export interface WaitInput {
  backoff: number
  retryAfter: number | null
  honourRetryAfter: boolean
  retryAfterMax: number
  now: number
  deadline: number
}
export type WaitDecision = { wait: number } | { giveUp: 'deadline' | 'retry-after' }

export function planWait(input: WaitInput): WaitDecision {
  let wait = input.backoff
  if (input.honourRetryAfter && input.retryAfter !== null) {
    if (input.retryAfter > input.retryAfterMax) return { giveUp: 'retry-after' }
    wait = Math.max(wait, input.retryAfter)
  }
  return input.now + wait >= input.deadline ? { giveUp: 'deadline' } : { wait }
}
