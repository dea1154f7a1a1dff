// The waits around a slot: how long a request may wait for one, and what its 429 tells the client.

/** A request waits at most maxWait, and never so long that no time is left before its deadline. */
export function allowedWait(maxWait: number, deadline: number, now: number): number {
  return Math.max(0, Math.min(maxWait, deadline - now - 1))
}

/** Retry-After of a refusal: whole seconds, rounded up (never 0, which would invite a tight loop). */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000))
}
