// The closed set of errors that the sidecar itself answers with, as RFC 9457 problem+json.
// Each has a stable `code` (tests and clients match on it) and its HTTP status.
// Upstream answers are never wrapped: whatever Didit says reaches the client unchanged.

export const PROBLEMS = {
  invalid_request_target: { status: 400, title: 'Request target must be a path (origin-form)' },
  invalid_path: { status: 400, title: 'Path must not contain dot-segments' },
  method_not_allowed: { status: 405, title: 'Method not supported by the sidecar' },
  request_too_large: { status: 413, title: 'Request body exceeds the configured limit' },
  bad_request: { status: 400, title: 'Malformed request' },
  request_timeout: { status: 408, title: 'The request was not received in time' },
  request_header_too_large: { status: 431, title: 'Request header fields too large' },
  client_aborted: { status: 400, title: 'The client stopped sending the request body' },
  invalid_idempotency_key: { status: 400, title: 'Idempotency key must be 1-255 visible ASCII characters' },
  idempotency_conflict: { status: 409, title: 'A request with this idempotency key is still in progress' },
  idempotency_mismatch: { status: 422, title: 'Idempotency key was already used for a different request' },
  idempotency_unavailable: { status: 503, title: 'Idempotency store unavailable' },
  rate_limited: { status: 429, title: "The request would exceed Didit's rate limit" },
  rate_limit_unavailable: { status: 503, title: 'Rate-limit store unavailable' },
  upstream_unreachable: { status: 502, title: 'Upstream could not be reached' },
  upstream_reset: { status: 502, title: 'Upstream closed the connection without answering' },
  upstream_tls_error: { status: 502, title: 'Upstream TLS handshake or certificate verification failed' },
  upstream_timeout: { status: 504, title: 'Upstream did not answer in time' },
  upstream_protocol_error: { status: 502, title: 'Upstream answered with a malformed response' },
  // nginx's 499: never seen by the client, it names the status in logs and metrics.
  client_closed: { status: 499, title: 'The client closed the connection before the answer' },
  internal_error: { status: 500, title: 'Internal sidecar error' }
} as const satisfies Record<string, { status: number; title: string }>

export type ProblemCode = keyof typeof PROBLEMS

export class SidecarError extends Error {
  readonly status: number
  /** Extra response headers, e.g. Retry-After on a 409. */
  readonly headers: Record<string, string>
  /** Extension members of the problem (RFC 9457 §3.2), e.g. the `limit` that refused a request. */
  readonly extensions: Record<string, string>

  constructor(
    readonly code: ProblemCode,
    detail?: string,
    options: { cause?: unknown; headers?: Record<string, string>; extensions?: Record<string, string> } = {}
  ) {
    super(detail ?? PROBLEMS[code].title, { cause: options.cause })
    this.name = 'SidecarError'
    this.status = PROBLEMS[code].status
    this.headers = options.headers ?? {}
    this.extensions = options.extensions ?? {}
  }
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: ProblemCode
  instance?: string
  [extension: string]: unknown
}

/** The problem+json body for an error; `instance` is the request id, so that logs can be found. */
export function toProblem(error: SidecarError, requestId?: string): Problem {
  return {
    ...error.extensions,
    type: `urn:didit-sidecar:problem:${error.code}`,
    title: PROBLEMS[error.code].title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(requestId === undefined ? {} : { instance: `urn:didit-sidecar:request:${requestId}` })
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'
