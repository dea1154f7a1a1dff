// Random faults for demos: which requests fail and how is a pure function of the injected random source.
import type { FaultKind, FaultOptions, Reply } from './types.js'

const KINDS: readonly FaultKind[] = [
  '503',
  '429',
  '500',
  '502',
  'reset',
  'slow',
  'reset-before-read',
  'reset-after-read',
  'stall'
]
/** Kinds drawn when no mix is given (the demo's original set: a stall would hold a demo client). */
const DEFAULT_KINDS = KINDS.slice(0, 6)
/** Delay of a 'slow' fault when slowMs is not given. */
export const DEFAULT_SLOW_MS = 2000
/** Retry-After of a 429 fault, in seconds. */
const RETRY_AFTER_S = 1
/** Didit's documented per-minute limits: GET 600, writes 300 (didit-api.md, rate limits). */
const READ_LIMIT = 600
const WRITE_LIMIT = 300

export function validateFaults(faults: FaultOptions): void {
  if (!(faults.ratio >= 0 && faults.ratio <= 1))
    throw new RangeError(`faults.ratio must be in 0..1, got ${faults.ratio}`)
  const weights = Object.values(faults.mix ?? {})
  if (weights.some((w) => !(w >= 0))) throw new RangeError('faults.mix weights must be >= 0')
  if (faults.mix !== undefined && !weights.some((w) => w > 0))
    throw new RangeError('faults.mix needs a positive weight')
  if (faults.slowMs !== undefined && !(faults.slowMs >= 0)) throw new RangeError('faults.slowMs must be >= 0')
  if (faults.retryAfterS !== undefined && !(Number.isInteger(faults.retryAfterS) && faults.retryAfterS >= 0))
    throw new RangeError('faults.retryAfterS must be an integer >= 0')
}

/** One draw decides whether the request fails, a second which fault it gets (weighted by mix). */
export function pickFault(faults: FaultOptions, random: () => number): FaultKind | undefined {
  if (!(random() < faults.ratio)) return undefined
  const weights = KINDS.map((kind) =>
    faults.mix === undefined ? Number(DEFAULT_KINDS.includes(kind)) : (faults.mix[kind] ?? 0)
  )
  const total = weights.reduce((sum, w) => sum + w, 0)
  let point = random() * total
  for (const [i, kind] of KINDS.entries()) {
    point -= weights[i] as number
    if (point < 0) return kind
  }
  // Only reached through rounding when the draw is at the very top: take the last kind with weight.
  return [...KINDS].reverse().find((kind) => (weights[KINDS.indexOf(kind)] as number) > 0)
}

/**
 * The fault's answer. Kinds that process the request call `normal` (its side effect happens) and then
 * delay, stall or drop its answer. reset-before-read is acted on before the body is read (fake-didit.ts);
 * when it gets here (random faults, drawn after the body) it is a reset without processing.
 */
export function faultReply(
  kind: FaultKind,
  method: string,
  normal: () => Reply,
  now: number,
  slowMs: number,
  retryAfterS = RETRY_AFTER_S
): Reply {
  switch (kind) {
    case 'slow':
      return { ...normal(), delayMs: slowMs }
    case 'reset':
    case 'reset-before-read':
      return { action: 'reset' }
    case 'reset-after-read':
      normal()
      return { action: 'reset' }
    case 'stall':
      return { ...normal(), action: 'stall' }
    case '429':
      return rateLimited(method, now, retryAfterS)
    case '500':
      return { status: 500, body: { detail: 'A server error occurred.' } }
    case '502':
      return { status: 502, body: { error: 'Bad gateway: upstream provider unavailable.' } }
    case '503':
      return { status: 503, body: { detail: 'Service temporarily unavailable, try again later.' } }
  }
}

function rateLimited(method: string, now: number, retryAfterS: number): Reply {
  const read = method === 'GET' || method === 'HEAD'
  const limit = read ? READ_LIMIT : WRITE_LIMIT
  const kind = read ? 'Read' : 'Write'
  return {
    status: 429,
    headers: {
      'retry-after': String(retryAfterS),
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Math.ceil(now / 1000) + retryAfterS)
    },
    body: { detail: `${kind} request rate limit exceeded. You can make up to ${limit} requests per minute.` }
  }
}
