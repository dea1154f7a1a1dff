// What of a final answer is kept for replay: whether it is stored at all, and which headers.

/**
 * "Not processed, try again": storing them would replay a transient refusal. Stripe's rate
 * limiter likewise sits before its idempotency layer, so a 429 never sticks to a key.
 * `idempotency.releaseOn` (globally and per route) replaces this default.
 */
export const DEFAULT_RELEASE_ON: readonly number[] = [429, 503]

/** Whether a final answer is stored: from upstream, not a status that releases the key, not over maxResponseBody. */
export function shouldStore(
  status: number,
  fromUpstream: boolean,
  bodyBytes: number,
  maxResponseBody: number,
  releaseOn: Iterable<number> = DEFAULT_RELEASE_ON
): boolean {
  return fromUpstream && !new Set(releaseOn).has(status) && bodyBytes <= maxResponseBody
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
