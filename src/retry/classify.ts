// Whether one attempt's outcome may be retried. Safety follows what the upstream may have done:
// a failed connect never reached it, 429 (RFC 6585 §4) and 503 (RFC 9110 §15.6.4) refuse it, but a
// reset, a timeout or another 5xx may follow processing, so only idempotent requests repeat those.
import type { RetryOn } from '../config/schema.js'

export type Failure = 'connect-failure' | 'reset' | 'timeout' | 'tls' | 'protocol' | 'other'
export type AttemptOutcome = { kind: 'response'; status: number } | { kind: 'error'; failure: Failure }
/** never-sent: safe for every method; not-processed: 429/503, safe for every method; ambiguous: may have been processed; final: never retried. */
export type Safety = 'never-sent' | 'not-processed' | 'ambiguous' | 'final'
export interface Classification {
  retryable: boolean
  safety: Safety
  reason: string
}

// RFC 9110 §9.2.2; method names are case-sensitive (§9.1), so "get" is not GET.
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

const FAILURE_SAFETY: Record<Failure, Safety> = {
  'connect-failure': 'never-sent',
  reset: 'ambiguous',
  timeout: 'ambiguous',
  tls: 'final',
  protocol: 'final',
  other: 'final'
}

/** A configured `idempotent` wins; null lets the method decide. */
export function isIdempotent(method: string, idempotent: boolean | null): boolean {
  return idempotent ?? IDEMPOTENT_METHODS.has(method)
}

export function classify(
  outcome: AttemptOutcome,
  policy: { on: readonly RetryOn[]; idempotent: boolean }
): Classification {
  const condition = outcome.kind === 'error' ? outcome.failure : outcome.status
  const safety = outcome.kind === 'error' ? FAILURE_SAFETY[outcome.failure] : statusSafety(outcome.status)
  const listed = (policy.on as readonly (string | number)[]).includes(condition)
  const retryable = safety !== 'final' && listed && (safety !== 'ambiguous' || policy.idempotent)
  return { retryable, safety, reason: String(condition) }
}

function statusSafety(status: number): Safety {
  if (status === 429 || status === 503) return 'not-processed'
  return status >= 500 ? 'ambiguous' : 'final'
}
