// The first stage of every request, before its body is read: the request target as sent, the
// route and its budget, the body limit from Content-Length, and the 100 Continue invitation.
// It also arranges the `response` event, which fires however the response ends.
import type { IncomingMessage } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config/schema.js'
import { SidecarError } from '../errors.js'
import type { Events } from '../observe/events.js'
import type { RetryBudget } from '../retry/budget.js'
import { NO_LEASE } from './buffer-budget.js'
import { sendProblem } from './problems.js'
import type { RouteMatcher } from './routes.js'
import { Departure } from './state.js'
import { checkTarget, splitTarget } from './target.js'

const kOriginalUrl = Symbol('originalUrl')
type MarkedRequest = IncomingMessage & { [kOriginalUrl]?: string }

/**
 * Fastify's `rewriteUrl`: absolute-form targets (`GET http://other.host/`) are set aside before
 * routing, which only knows paths, and refused in `arrive`.
 */
export function setAsideAbsoluteTarget(req: MarkedRequest): string {
  const url = req.url ?? '/'
  if (url.startsWith('/')) return url
  req[kOriginalUrl] = url
  return '/'
}

export interface ArrivalDeps {
  config: Config
  matchRoute: RouteMatcher
  budgets: ReadonlyMap<string, RetryBudget>
  events: Events
  now(): number
}

export function arrival({ config, matchRoute, budgets, events, now }: ArrivalDeps) {
  /** Fastify's `onRequest` hook (its callback form: no promise per request): the checks before the body is read. */
  function arrive(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) {
    const url = begin(request, reply)
    const problem = checkTarget(url)
    if (problem !== null) return done(new SidecarError(problem))
    if (Number(request.headers['content-length'] ?? 0) > config.listen.bodyLimit) {
      return done(new SidecarError('request_too_large'))
    }
    // Only now, with the request accepted, invite the body (RFC 9110 §10.1.1).
    if (request.headers.expect?.toLowerCase() === '100-continue') reply.raw.writeContinue()
    done()
  }

  /**
   * Fastify's `frameworkErrors`: a target its router cannot decode (`/v3/%zz`) is refused before
   * any hook runs; it is still answered, counted and logged as the sidecar's own refusal.
   */
  function refuseUndecodable(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply) {
    begin(request, reply)
    // No onSend hook runs for this reply: the sidecar's own headers are set here.
    reply.header('x-request-id', request.id).header('x-sidecar-attempts', '0')
    const refusal =
      error.code === 'FST_ERR_BAD_URL'
        ? new SidecarError('invalid_request_target', 'Malformed percent-encoding in the request target', {
            cause: error
          })
        : new SidecarError('bad_request', undefined, { cause: error })
    return sendProblem(request, reply, refusal)
  }

  /** The request's state, and the response event however the response ends; returns the target as sent. */
  function begin(request: FastifyRequest, reply: FastifyReply): string {
    const url = (request.raw as MarkedRequest)[kOriginalUrl] ?? request.url
    // Checked, matched, fingerprinted and forwarded as sent; only the log line redacts it.
    const target = splitTarget(url)
    const route = matchRoute(request.method, target.path)
    request.sidecar = {
      route,
      budget: budgets.get(route.name) as RetryBudget,
      target,
      started: now(),
      attempts: 0,
      outcome: 'rejected',
      left: new Departure()
    }
    // 'close' rather than onResponse: it also fires when a response breaks midway (Fastify then
    // destroys the socket and runs no onResponse hook). It fires once: `on` spares once's wrapper.
    reply.raw.on('close', () => closed(request, reply))
    events.emit('arrival', { route: route.name, requestId: request.id })
    return url
  }

  /**
   * A client that left while the handler still works (an attempt, a wait) is logged once the
   * handler is done, with the attempts made and the answer it would have had.
   */
  function closed(request: FastifyRequest, reply: FastifyReply) {
    const state = request.sidecar
    // The body's share goes back; a body read after this (the client gone first) gets none.
    if (state.lease === undefined) state.lease = NO_LEASE
    else state.lease.release()
    if (reply.raw.writableFinished) return emitResponse(request, reply)
    state.left.leave()
    const emit = () => setImmediate(() => emitResponse(request, reply))
    if (state.working === undefined) emit()
    else state.working.then(emit, emit)
  }

  function emitResponse(request: FastifyRequest, reply: FastifyReply) {
    const state = request.sidecar
    events.emit('response', {
      route: state.route.name,
      requestId: request.id,
      method: request.method,
      path: state.target.path,
      status: reply.statusCode,
      outcome: reply.raw.writableFinished ? state.outcome : 'aborted',
      durationMs: now() - state.started,
      attempts: state.attempts,
      ...(state.idempotencyKey === undefined ? {} : { idempotencyKey: state.idempotencyKey }),
      ...(state.rateLimitWaitMs === undefined ? {} : { rateLimitWaitMs: state.rateLimitWaitMs })
    })
  }

  return { arrive, refuseUndecodable }
}

/** Headers on every answer, the sidecar's own included: request id, attempts, idempotency key (in the onSend hook). */
export function stampHeaders(keyHeader: string) {
  return function stamp(request: FastifyRequest, reply: FastifyReply) {
    reply.header('x-request-id', request.id)
    reply.header('x-sidecar-attempts', String(request.sidecar?.attempts ?? 0))
    const key = request.sidecar?.idempotencyKey
    if (key !== undefined) reply.header(keyHeader, key)
  }
}
