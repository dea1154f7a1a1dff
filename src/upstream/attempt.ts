// One upstream attempt: send, wait for the response head under the per-try timeout, and name
// what happened. The body of a response is left unread for the caller.
import { EventEmitter } from 'node:events'
import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { type ProblemCode, SidecarError } from '../errors.js'
import type { Failure } from '../retry/classify.js'

export interface UpstreamRequest {
  origin: string
  path: string
  method: string
  headers: string[]
  body: Buffer | Readable | null
}

export type AttemptResult =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; body: Dispatcher.ResponseData['body'] }
  | { kind: 'error'; failure: Failure; error: Error }

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT'
])
// A peer closing after reading the request shows as UND_ERR_SOCKET, not ECONNRESET.
const RESETS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])

// OpenSSL's certificate verification errors, as Node reports them (tls.TLSSocket.authorizationError).
const TLS_FAILURES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH'
])

// Answers that break HTTP/1.1: llhttp's parse errors (name HTTPParserError, code HPE_* or none)
// and undici's own checks of what followed the head.
const PROTOCOL_ERRORS = new Set(['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'UND_ERR_RES_EXCEEDED_MAX_SIZE'])

/** Names an undici failure. `timedOut` is our own flag: an aborted request carries no code. */
export function failureOf(error: Error & { code?: string }, timedOut: boolean): Failure {
  if (timedOut || error.code === 'UND_ERR_HEADERS_TIMEOUT' || error.code === 'UND_ERR_BODY_TIMEOUT') return 'timeout'
  const code = error.code ?? ''
  if (CONNECT_FAILURES.has(code)) return 'connect-failure'
  if (RESETS.has(code)) return 'reset'
  if (TLS_FAILURES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) return 'tls'
  if (error.name === 'HTTPParserError' || code.startsWith('HPE_') || PROTOCOL_ERRORS.has(code)) return 'protocol'
  return 'other'
}

/** A status a client can be given (RFC 9110 §15: three digits, 100-599); llhttp lets 600-999 through. */
export function isValidStatus(status: number): boolean {
  return Number.isInteger(status) && status >= 100 && status <= 599
}

/** The sidecar's own answer when an upstream failure leaves nothing to pass on. */
export const FAILURE_PROBLEMS: Record<Failure, ProblemCode> = {
  'connect-failure': 'upstream_unreachable',
  reset: 'upstream_reset',
  timeout: 'upstream_timeout',
  tls: 'upstream_tls_error',
  protocol: 'upstream_protocol_error',
  other: 'upstream_unreachable'
}

/** The sidecar's own answer when a response body fails before its first byte reached the client. */
export function bodyProblem(failure: Failure): ProblemCode {
  if (failure === 'timeout') return 'upstream_timeout'
  return failure === 'reset' ? 'upstream_reset' : 'upstream_protocol_error'
}

/** Sends one attempt; resolves with the response head or a named failure, never rejects for upstream reasons. */
export async function sendAttempt(
  dispatcher: Dispatcher,
  request: UpstreamRequest,
  perTryTimeout: number
): Promise<AttemptResult> {
  // undici takes an EventEmitter as the signal (documented); an AbortController costs about 40
  // times as much to make, on every attempt (docs/benchmarks.md).
  const signal = new EventEmitter()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    signal.emit('abort')
  }, perTryTimeout)
  try {
    // A literal of one fixed shape: a spread (`{ ...request, signal }`) gave undici's option
    // reads a map it had not seen on every attempt (a megamorphic miss per property, per request).
    const { origin, path, method, headers, body } = request
    const response = await dispatcher.request({ origin, path, method, headers, body, signal })
    if (!isValidStatus(response.statusCode)) {
      response.body.on('error', () => undefined).destroy()
      const error = new Error(`upstream answered status ${response.statusCode}, outside 100-599`)
      return { kind: 'error', failure: 'protocol', error }
    }
    return { kind: 'response', status: response.statusCode, headers: response.headers, body: response.body }
  } catch (error) {
    // The client's body failing (too large, aborted) is the client's problem, not upstream's.
    if (error instanceof SidecarError) throw error
    // A request undici refuses to build (a header value with a newline) never left: the sidecar's fault.
    if ((error as { code?: string }).code === 'UND_ERR_INVALID_ARG') {
      throw new SidecarError('internal_error', 'The upstream request could not be built', { cause: error })
    }
    return { kind: 'error', failure: failureOf(error as Error, timedOut), error: error as Error }
  } finally {
    clearTimeout(timer)
  }
}
