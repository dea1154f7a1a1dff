// Retry-After (RFC 9110 §10.2.3) is delay-seconds or an HTTP-date. Anything else is ignored
// rather than guessed at: "1.5" or "-1" are not delay-seconds, and only GMT dates are HTTP-dates.
const DELAY_SECONDS = /^\d+$/

/** Milliseconds to wait named by a Retry-After header value (RFC 9110 §10.2.3: delay-seconds or HTTP-date), relative to `now` (ms epoch); null when absent or unparsable. A date in the past gives 0. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (text === undefined) return null
  if (DELAY_SECONDS.test(text)) return Number(text) * 1000
  // IMF-fixdate (and the obsolete RFC 850 form) always say GMT; this keeps Date.parse from
  // accepting ISO or local-time strings that are not HTTP-dates.
  const date = text.includes('GMT') ? Date.parse(text) : Number.NaN
  return Number.isNaN(date) ? null : Math.max(0, date - now)
}
