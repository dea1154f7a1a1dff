// Didit's 429 anyway (another client on the same key, limits changed): how long to pause the
// limits of that request for every replica. Retry-After first; else X-RateLimit-Reset, which
// Didit sends as epoch seconds (didit-api reference) — a small number is read as seconds from now.
import { parseRetryAfter } from '../retry/retry-after.js'

const NUMBER = /^\d+(\.\d+)?$/
// Below this, a reset value cannot be an epoch time (it would be before 2001).
const EPOCH_SECONDS_FLOOR = 1_000_000_000

type Header = string | string[] | undefined

/** Milliseconds to pause, capped at `cap` (a pause longer than the window has no reason); null without a usable header. */
export function pauseFor(headers: Record<string, Header>, wallClock: number, cap: number): number | null {
  const ms = parseRetryAfter(headers['retry-after'], wallClock) ?? resetIn(headers['x-ratelimit-reset'], wallClock)
  return ms === null ? null : Math.min(ms, cap)
}

function resetIn(value: Header, wallClock: number): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (text === undefined || !NUMBER.test(text)) return null
  const seconds = Number(text)
  if (seconds < EPOCH_SECONDS_FLOOR) return Math.ceil(seconds * 1000)
  return Math.max(0, Math.ceil(seconds * 1000 - wallClock))
}
