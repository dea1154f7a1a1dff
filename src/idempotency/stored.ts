// What of a final answer is kept for replay: whether it is stored at all, and which headers.
import type { Failure } from '../retry/classify.js'

/**
 * "Not processed, try again": storing them would replay a transient refusal. Stripe's rate
 * limiter likewise sits before its idempotency layer, so a 429 never sticks to a key.
 * `idempotency.releaseOn` (globally and per route) replaces this default.
 */
export const DEFAULT_RELEASE_ON: readonly number[] = [429, 503]

/**
 * Whether a final answer is stored: from upstream and not a status that releases the key, or the
 * sidecar's own answer to an ambiguous ending (`keepsKey`); never over maxResponseBody.
 */
export function shouldStore(
  status: number,
  fromUpstream: boolean,
  bodyBytes: number,
  maxResponseBody: number,
  releaseOn: Iterable<number> = DEFAULT_RELEASE_ON,
  ambiguous = false
): boolean {
  const kept = ambiguous || (fromUpstream && !new Set(releaseOn).has(status))
  return kept && bodyBytes <= maxResponseBody
}

/** How a keyed request ended when no upstream answer was passed on complete. */
export type Unanswered =
  /** No upstream answer: the last attempt's failure, or none (the client left, the limiter refused, a late timer). */
  | { kind: 'failed'; failure: Failure | undefined }
  /** An upstream head with this status, then its body broke: Didit has processed the request. */
  | { kind: 'cut'; status: number }

// Sent, then no answer: Didit may have processed the request. A failed connect never sent it,
// and a TLS failure stops before the request is written.
const AMBIGUOUS_FAILURES: ReadonlySet<Failure> = new Set(['reset', 'timeout', 'protocol'])

/**
 * Whether the key stays taken (the sidecar's own answer stored for replay) instead of released:
 * when the request may have been processed and repeating it is not safe (the retry engine's rule),
 * a retry with the same key would be billed twice. A cut body after a status in `releaseOn` releases.
 */
export function keepsKey(
  ending: Unanswered,
  idempotent: boolean,
  releaseOn: Iterable<number> = DEFAULT_RELEASE_ON
): boolean {
  if (idempotent) return false
  if (ending.kind === 'cut') return !new Set(releaseOn).has(ending.status)
  return ending.failure !== undefined && AMBIGUOUS_FAILURES.has(ending.failure)
}

/**
 * Headers that describe the content or the outcome, the same on every replay (RFC 9110 §8,
 * RFC 6266; location of a created resource; cache-control so that `no-store` on identity data
 * survives; the challenge a 401 and the methods a 405 must carry). Everything else belonged to
 * the one response (Date, Set-Cookie, validators, rate-limit and trace headers) and is dropped.
 */
export const REPLAYED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-encoding',
  'content-language',
  'content-disposition',
  'content-location',
  'location',
  'cache-control',
  'www-authenticate',
  'allow'
])

/** The headers kept for a replay (lower-case names, as undici gives them). */
export function replayedHeaders(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => REPLAYED_HEADERS.has(name.toLowerCase())))
}
