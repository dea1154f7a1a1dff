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

/** Names an undici failure. `timedOut` is our own flag: an aborted request carries no code. */
export function failureOf(error: Error & { code?: string }, timedOut: boolean): Failure {
  if (timedOut || error.code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout'
  const code = error.code ?? ''
  if (CONNECT_FAILURES.has(code)) return 'connect-failure'
  if (RESETS.has(code)) return 'reset'
  if (TLS_FAILURES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) return 'tls'
  return 'other'
}

/** The sidecar's own answer when an upstream failure leaves nothing to pass on. */
export const FAILURE_PROBLEMS: Record<Failure, ProblemCode> = {
  'connect-failure': 'upstream_unreachable',
  reset: 'upstream_reset',
  timeout: 'upstream_timeout',
  tls: 'upstream_tls_error',
  other: 'upstream_unreachable'
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
    const response = await dispatcher.request({ ...request, signal })
    return { kind: 'response', status: response.statusCode, headers: response.headers, body: response.body }
  } catch (error) {
    // The client's body failing (too large, aborted) is the client's problem, not upstream's.
    if (error instanceof SidecarError) throw error
    return { kind: 'error', failure: failureOf(error as Error, timedOut), error: error as Error }
  } finally {
    clearTimeout(timer)
  }
}
