// The sidecar's own answers: every error becomes one of the closed set in errors.ts, sent as
// problem+json. Upstream answers never pass through here; they reach the client unchanged.
import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { PROBLEM_CONTENT_TYPE, SidecarError, toProblem } from '../errors.js'
import { bodyProblem, failureOf } from '../upstream/attempt.js'
import type { RequestState } from './state.js'

export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const state = request.sidecar as RequestState | undefined
  // The client left (mid-response, or while its answer was on the way): its doing, logged once
  // by the response event as `aborted`, never as an error here.
  if (state?.left.gone === true && (error instanceof SidecarError || endedByLeaving(error, state))) {
    state.outcome = 'aborted'
    const own = error instanceof SidecarError ? error : new SidecarError('client_closed', undefined, { cause: error })
    return sendProblem(request, reply, own)
  }
  const failure = error instanceof SidecarError ? 'other' : failureOf(error, false)
  if (state?.upstreamBodyError !== error && failure === 'other')
    return sendProblem(request, reply, toSidecarError(error))
  // The upstream body failed before its first byte reached the client: no retry after commit.
  if (state !== undefined) state.outcome = 'aborted'
  return sendProblem(request, reply, new SidecarError(bodyProblem(failure), undefined, { cause: error }))
}

/** The response stream ended because the client left: undici's body or the store's copy destroyed. */
function endedByLeaving(error: FastifyError, state: RequestState): boolean {
  return (
    error.code === 'UND_ERR_ABORTED' || error.code === 'ERR_STREAM_PREMATURE_CLOSE' || error === state.upstreamBodyError
  )
}

function toSidecarError(error: FastifyError): SidecarError {
  if (error instanceof SidecarError) return error
  if (error.statusCode === 413) return new SidecarError('request_too_large', undefined, { cause: error })
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new SidecarError('bad_request', error.message, { cause: error })
  }
  return new SidecarError('internal_error', undefined, { cause: error })
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: SidecarError) {
  if (error.status >= 500 && error.code === 'internal_error') request.log.error({ err: error.cause }, 'internal error')
  dropUpstreamHeaders(request, reply)
  reply.code(error.status).headers(error.headers).type(PROBLEM_CONTENT_TYPE)
  if (error.code === 'request_too_large') reply.header('connection', 'close')
  return reply.send(JSON.stringify(toProblem(error, request.id)))
}

/**
 * An answer that began as the upstream's and became the sidecar's (its body failed before the
 * first byte) keeps none of the upstream's headers: a gzip Content-Encoding, a day-long
 * Cache-Control or a Set-Cookie would apply to the problem+json instead.
 */
function dropUpstreamHeaders(request: FastifyRequest, reply: FastifyReply) {
  const copied = (request.sidecar as RequestState | undefined)?.upstreamHeaders
  if (copied === undefined) return
  for (const name of Object.keys(copied)) {
    reply.removeHeader(name)
    // Fastify copies a stream's headers onto the raw response before its first byte.
    if (!reply.raw.headersSent) reply.raw.removeHeader(name)
  }
}

/** Node drops CONNECT silently unless someone answers it; the sidecar is not a tunnel. */
export function answerConnect(socket: Socket) {
  const body = JSON.stringify(
    toProblem(new SidecarError('method_not_allowed', 'CONNECT is not supported: the sidecar is not a tunnel'))
  )
  socket.end(
    `HTTP/1.1 405 Method Not Allowed\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  )
}
