// pino JSON lines on stdout. No body is ever logged and no header is logged by default; the
// redaction paths below are fixed in code (never from input) as a second line of defence in
// case a serializer or an error ever carries headers.
import { type Bindings, type ChildLoggerOptions, type DestinationStream, type Logger, pino } from 'pino'
import type { Config } from '../config/schema.js'
import type { Events } from './events.js'
import { type LineStream, TurnBatch } from './turn-batch.js'

const SECRET_HEADERS = ['x-api-key', 'authorization', 'cookie', 'set-cookie', 'proxy-authorization']
export const REDACT_PATHS = SECRET_HEADERS.flatMap((name) => [
  `req.headers["${name}"]`,
  `res.headers["${name}"]`,
  `headers["${name}"]`,
  `request.headers["${name}"]`
])

export function createLogger(level: Config['log']['level'], destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'didit-sidecar' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Errors keep message, type, code and stack; nothing else they might carry.
    serializers: { err: pino.stdSerializers.err }
  }
  if (destination !== undefined) return pino(options, destination)
  // pino's own asynchronous stdout stream, which pino flushes at exit, behind a batch of one turn's
  // lines; the batch's exit handler runs after pino's (registered when the stream is made).
  const batch = new TurnBatch(pino.destination({ dest: 1, sync: false }) as unknown as LineStream)
  process.once('exit', () => batch.flushSync())
  return pino(options, batch)
}

type LogArgs = Parameters<Logger['info']>

/**
 * Fastify's `childLoggerFactory`: a request's child logger (its reqId binding) is made only when
 * something logs through `request.log`, which few requests do; the request line itself comes from
 * the `response` event. A pino child per request cost about half as much as that line.
 */
export function lazyChildLogger(logger: Logger, bindings: Bindings, options: ChildLoggerOptions): Logger {
  return new LazyChild(logger, bindings, options) as unknown as Logger
}

class LazyChild {
  #made: Logger | undefined
  constructor(
    readonly parent: Logger,
    readonly bindings: Bindings,
    readonly options: ChildLoggerOptions
  ) {}
  get level(): string {
    return this.#logger().level
  }
  #logger(): Logger {
    this.#made ??= this.parent.child(this.bindings, this.options)
    return this.#made
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.#logger().child(bindings, options)
  }
  isLevelEnabled(level: string): boolean {
    return this.parent.isLevelEnabled(level)
  }
  fatal(...args: LogArgs) {
    this.#logger().fatal(...args)
  }
  error(...args: LogArgs) {
    this.#logger().error(...args)
  }
  warn(...args: LogArgs) {
    this.#logger().warn(...args)
  }
  info(...args: LogArgs) {
    this.#logger().info(...args)
  }
  debug(...args: LogArgs) {
    this.#logger().debug(...args)
  }
  trace(...args: LogArgs) {
    this.#logger().trace(...args)
  }
  silent(...args: LogArgs) {
    this.#logger().silent(...args)
  }
}

const REQUEST_LINE_KEYS = [
  'reqId',
  'method',
  'route',
  'path',
  'status',
  'outcome',
  'attempts',
  'idempotencyKey',
  'rateLimitWaitMs',
  'durationMs'
]

/** One info line per completed request, one debug line per attempt and per retry decision. */
export function observeLogs(logger: Logger, events: Events): void {
  const requestLine = infoLine(logger, 'request completed', REQUEST_LINE_KEYS)
  events.on('response', (e) =>
    // In REQUEST_LINE_KEYS order.
    requestLine([
      e.requestId,
      e.method,
      e.route,
      redactUserinfo(e.path),
      e.status,
      e.outcome,
      e.attempts,
      e.idempotencyKey,
      e.rateLimitWaitMs === undefined ? undefined : tenths(e.rateLimitWaitMs),
      tenths(e.durationMs)
    ])
  )
  // The level is fixed at start: below debug, the debug lines' listeners are not even attached.
  if (!logger.isLevelEnabled('debug')) return
  events.on('attempt', (e) =>
    logger.debug(
      {
        reqId: e.requestId,
        route: e.route,
        attempt: e.attempt,
        result: e.result,
        durationMs: tenths(e.durationMs)
      },
      'upstream attempt'
    )
  )
  events.on('retry', (e) =>
    logger.debug(
      { reqId: e.requestId, route: e.route, attempt: e.attempt, reason: e.reason, waitMs: e.waitMs },
      'retrying'
    )
  )
  events.on('retrySkipped', (e) =>
    logger.debug({ reqId: e.requestId, route: e.route, reason: e.reason }, 'retry skipped')
  )
  events.on('budgetExhausted', (e) => logger.debug({ reqId: e.requestId, route: e.route }, 'retry budget exhausted'))
  events.on('bodyFailed', (e) =>
    logger.debug({ reqId: e.requestId, route: e.route, reason: e.reason }, 'upstream body failed')
  )
  events.on('idempotency', (e) => logger.debug({ reqId: e.requestId, route: e.route, result: e.result }, 'idempotency'))
  events.on('rateLimit', (e) =>
    logger.debug(
      { reqId: e.requestId, route: e.route, limit: e.limit, result: e.result, waitMs: tenths(e.waitMs) },
      'rate limit'
    )
  )
}

/**
 * An info line of pino's own shape and stream (its level, time and bindings, then the fields,
 * given as values in `keys` order, then `msg`). pino escapes each key and string value character
 * by character, and the engine's JSON.stringify of a fields object still cost some 11k
 * instructions per request (docs/benchmarks.md); here keys are rendered once, string values are
 * quoted as they are, and one check over all of them sends a line with anything to escape the
 * slow way. This is the one line every request writes. Fields are plain values the sidecar made:
 * no header, no body, nothing to redact.
 */
export function infoLine(logger: Logger, msg: string, keys: readonly string[]): (values: readonly unknown[]) => void {
  const { lsCacheSym, timeSym, chindingsSym, endSym, streamSym } = pino.symbols
  // pino's own parts of a line (pino.symbols is its documented way in): read per line, as pino does.
  const own = logger as unknown as Record<symbol, unknown>
  const tail = `,"msg":${JSON.stringify(msg)}${own[endSym] as string}`
  const info = logger.levels.values.info as number
  const prefixes = keys.map((key) => `,${JSON.stringify(key)}:`)
  return (values) => {
    if (!logger.isLevelEnabled('info')) return
    const level = (own[lsCacheSym] as Record<number, string>)[info]
    const head = `${level}${(own[timeSym] as () => string)()}${own[chindingsSym] as string}`
    let line = head
    let strings = ''
    for (let i = 0; i < keys.length; i++) {
      const value = values[i]
      if (typeof value === 'string') {
        strings += value
        line += `${prefixes[i] as string}"${value}"`
      } else {
        const json = jsonValue(value)
        if (json !== undefined) line += (prefixes[i] as string) + json
      }
    }
    if (NEEDS_ESCAPE.test(strings)) line = slowFields(head, prefixes, values)
    ;(own[streamSym] as { write(line: string): void }).write(line + tail)
  }
}

/** The line's fields with every string checked (and escaped by JSON.stringify), after its head. */
function slowFields(head: string, prefixes: readonly string[], values: readonly unknown[]): string {
  let line = head
  for (let i = 0; i < prefixes.length; i++) {
    const json = jsonValue(values[i])
    if (json !== undefined) line += (prefixes[i] as string) + json
  }
  return line
}

// What pino escapes in a string: quote, backslash, control characters (a lone surrogate it writes
// as is, unlike JSON.stringify; none reaches this line: paths arrive as latin1, ids and keys as ASCII).
const NEEDS_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\uffff]/

/** A value as JSON.stringify (and so pino) writes it; undefined for what it leaves out. */
function jsonValue(value: unknown): string | undefined {
  if (typeof value === 'string') return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`
  if (typeof value === 'number') return Number.isFinite(value) ? `${value}` : 'null'
  return JSON.stringify(value)
}

/** A copy of a path for logs: the userinfo of an absolute-form target (`http://user:pw@host/`) is dropped. */
export function redactUserinfo(path: string): string {
  // An origin-form target (nearly all) has no userinfo: no regular expression then.
  if (path.charCodeAt(0) === 47 /* / */) return path
  return path.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/@]*@/, '$1')
}

/** Durations in logs: a tenth of a millisecond is precision enough. */
function tenths(ms: number): number {
  return Math.round(ms * 10) / 10
}
