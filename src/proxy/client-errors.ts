// Requests Node's HTTP parser refuses before Fastify sees them (obs-fold, control bytes, bad
// framing, oversized heads, slow heads): answered with problem+json like every other refusal,
// counted and logged through the response event. Nothing from the raw bytes is logged.
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { PROBLEM_CONTENT_TYPE, type ProblemCode, SidecarError, toProblem } from '../errors.js'
import type { Events } from '../observe/events.js'

type ClientError = Error & { code?: string; rawPacket?: unknown }

const ROUTED = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /

/** Fastify's `clientErrorHandler` (Node's 'clientError' event). */
export function clientErrorHandler(events: Events) {
  return function onClientError(error: ClientError, socket: Socket) {
    // A reset or a closed socket has nobody to answer (Node and Fastify do the same).
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    const refusal = new SidecarError(problemOf(error.code), undefined, { cause: error })
    const requestId = randomUUID()
    const body = JSON.stringify(toProblem(refusal, requestId))
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
          `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`
      )
    }
    socket.destroy()
    // The method label stays bounded: a routed method, or `other`.
    const head = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.subarray(0, 8).toString('latin1') : ''
    const method = ROUTED.exec(head)?.[1] ?? 'other'
    events.emit('response', {
      route: 'default',
      requestId,
      method,
      path: '',
      status: refusal.status,
      outcome: 'rejected',
      durationMs: 0,
      attempts: 0
    })
  }
}

function problemOf(code: string | undefined): ProblemCode {
  if (code === 'HPE_HEADER_OVERFLOW') return 'request_header_too_large'
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request_timeout'
  return 'bad_request'
}
