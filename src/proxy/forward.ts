// The proxy handler: the stages of a request in order — idempotency key, idempotency store,
// retry loop over the upstream (each attempt through the rate limit), response. Each stage is one named call.
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Dispatcher } from 'undici'
import type { Config } from '../config/schema.js'
import { SidecarError } from '../errors.js'
import type { Claim, Coordinator, FinalResponse } from '../idempotency/coordinator.js'
import { replayedHeaders, type Unanswered } from '../idempotency/stored.js'
import type { Events } from '../observe/events.js'
import { gate, type Send } from '../ratelimit/gate.js'
import type { RateLimiter } from '../ratelimit/limiter.js'
import { hashApiKey } from '../ratelimit/scope.js'
import { isIdempotent } from '../retry/classify.js'
import { type RunResult, runWithRetries } from '../retry/run.js'
import { failureOf, sendAttempt, type UpstreamRequest } from '../upstream/attempt.js'
import type { RequestBody } from './body.js'
import { inboundHeaders, outboundHeaders } from './headers.js'
import { admit, credentialsOf, cutBodyProblem, replay, tee, unansweredSettlement } from './idempotency.js'
import { decideKey } from './idempotency-key.js'

export interface ForwardDeps {
  config: Config
  dispatcher: Dispatcher
  upstream: { origin: string; prefix: string }
  coordinator: Coordinator
  /** Null when rateLimit is disabled. */
  rateLimiter: RateLimiter | null
  events: Events
  now(): number
  random(): number
}

type Key = { key: string; source: 'client' | 'generated' } | undefined

export function createForwarder(deps: ForwardDeps) {
  const { config, events, coordinator } = deps
  const keyHeader = config.idempotency.header.toLowerCase()
  // The injected key never changes: hashed once, not per request (the profile's sha256 per request).
  const injectedScope = config.upstream.apiKey !== '' ? hashApiKey(config.upstream.apiKey) : null

  return function forward(request: FastifyRequest, reply: FastifyReply) {
    const working = handle(request, reply)
    request.sidecar.working = working
    return working
  }

  async function handle(request: FastifyRequest, reply: FastifyReply) {
    const state = request.sidecar
    const key = assignKey(request)
    const body = request.body as RequestBody | undefined
    // Only a client's key can go through the store; others go straight on, without a promise's tick.
    const admitted = key?.source === 'client' ? await admitKey(request, key, body) : FORWARD
    if (admitted.kind === 'replay') {
      state.outcome = 'replayed'
      return replay(reply, admitted.response)
    }
    const { claim } = admitted
    let result: RunResult
    try {
      result = await forwardWithRetries(request, key, body)
    } catch (error) {
      if (claim !== null) settle(request, claim, null)
      throw error
    }
    return respond(request, reply, result, claim)
  }

  /** The request's idempotency key: the client's (checked) or a generated one; none for other methods. */
  function assignKey(request: FastifyRequest): Key {
    const decision = decideKey(request.method, request.headers[keyHeader], config.idempotency.methods)
    if (decision.kind === 'none') return undefined
    if (decision.kind === 'invalid') throw new SidecarError('invalid_idempotency_key')
    request.sidecar.idempotencyKey = decision.key
    return decision
  }

  /** A client's key is checked against the store; generated keys and streamed bodies go straight on. */
  function admitKey(request: FastifyRequest, key: Key, body: RequestBody | undefined) {
    if (key?.source !== 'client' || body?.kind === 'streamed') return FORWARD
    const { target, route } = request.sidecar
    return admit({
      coordinator,
      events,
      keyPrefix: config.idempotency.store.keyPrefix,
      route: route.name,
      requestId: request.id,
      credentials: credentialsOf(request.raw.rawHeaders, config.upstream.apiKey),
      method: request.method,
      path: target.path,
      query: target.query,
      key: key.key,
      contentType: request.headers['content-type'],
      body: body?.bytes ?? Buffer.alloc(0)
    })
  }

  function forwardWithRetries(request: FastifyRequest, key: Key, body: RequestBody | undefined) {
    const state = request.sidecar
    if (key !== undefined) {
      events.emit('idempotencyKey', { route: state.route.name, requestId: request.id, source: key.source })
    }
    const upstreamRequest: UpstreamRequest = {
      origin: deps.upstream.origin,
      path: deps.upstream.prefix + state.target.path + state.target.query,
      method: request.method,
      headers: outboundHeaders(request.raw.rawHeaders, {
        set: ownHeaders(request.id, key?.key),
        keepContentLength: body?.kind === 'streamed'
      }),
      body: body === undefined ? null : body.kind === 'buffered' ? body.bytes : body.stream
    }
    const { left } = state
    const direct: Send = (perTryTimeout) => sendAttempt(deps.dispatcher, upstreamRequest, perTryTimeout)
    const limited = rateLimitGate(request)
    return runWithRetries(
      {
        route: state.route.name,
        requestId: request.id,
        method: request.method,
        policy: state.route.policy,
        replayable: body?.kind !== 'streamed',
        ...(body?.kind === 'streamed' ? { streamedReason: body.reason } : {}),
        send: (attempt, perTryTimeout) => {
          if (limited === null) return direct(perTryTimeout)
          state.attempts = attempt - 1 // what the answer says if this attempt is refused a slot
          return limited(perTryTimeout, direct)
        },
        clientGone: () => left.gone
      },
      {
        budget: state.budget,
        events,
        now: deps.now,
        wallClock: Date.now,
        random: deps.random,
        // Wakes when the client leaves; the signal is made only by a retry that waits.
        sleep: (ms) => sleep(ms, undefined, { signal: left.signal }).catch(() => undefined)
      }
    )
  }

  /** The API key in use: the injected one, else the client's. Idempotency and rate limits are scoped by it. */
  function apiKeyOf(request: FastifyRequest): string {
    return config.upstream.apiKey !== '' ? config.upstream.apiKey : String(request.headers['x-api-key'] ?? '')
  }

  /** Wraps each attempt in the rate limit (every attempt takes a slot); null when nothing limits the request. */
  function rateLimitGate(request: FastifyRequest) {
    const limiter = deps.rateLimiter
    const state = request.sidecar
    const limits = limiter?.limitsFor(request.method, state.route) ?? []
    if (limiter === null || limits.length === 0) return null
    return gate(
      limiter,
      {
        route: state.route.name,
        requestId: request.id,
        scope: injectedScope ?? hashApiKey(apiKeyOf(request)),
        limits,
        // The same deadline as the retry loop's, which starts right after this.
        deadline: deps.now() + state.route.policy.timeout,
        waited: (ms) => {
          state.rateLimitWaitMs = (state.rateLimitWaitMs ?? 0) + ms
        }
      },
      { now: deps.now, sleep: (ms) => sleep(ms) }
    )
  }

  function ownHeaders(requestId: string, key: string | undefined): Record<string, string> {
    const own: Record<string, string> = { 'x-request-id': requestId }
    if (key !== undefined) own[keyHeader] = key
    if (config.upstream.apiKey !== '') own['x-api-key'] = config.upstream.apiKey
    return own
  }

  /** Sends the final upstream answer unchanged (streamed), or throws the sidecar's own error; settles the claim. */
  function respond(request: FastifyRequest, reply: FastifyReply, result: RunResult, claim: Claim | null) {
    const state = request.sidecar
    state.attempts = result.attempts
    state.outcome = result.outcome
    if (result.kind === 'error') {
      const ending = { kind: 'failed', failure: result.failure } as const
      if (claim !== null) settle(request, claim, unanswered(request, ending, result.error))
      throw result.error
    }
    const { status } = result.response
    const headers = inboundHeaders(result.response.headers)
    state.upstreamHeaders = headers
    const { releaseOn } = state.route.idempotency
    // Only what a replay carries is stored: no cookie or per-response header ever reaches the store
    // (picked only when a claim will store it).
    const store = claim === null ? null : { claim, headers: replayedHeaders(headers) }
    if (!hasBody(status)) {
      // undici reports a Content-Length on a 204/304 as a mismatch (it exempts HEAD only), and
      // there is no content to pass on or to keep: the head is the whole answer. The length goes
      // too: undici-based clients (Node's fetch) would fail on it the same way.
      delete headers['content-length']
      result.response.body.on('error', () => undefined).resume()
      if (store !== null) {
        const empty = { status, headers: store.headers, body: Buffer.alloc(0), fromUpstream: true, releaseOn }
        settle(request, store.claim, empty)
      }
      return reply.code(status).headers(headers).send()
    }
    const upstreamBody = watchBody(request, result.response.body)
    const body =
      store === null
        ? upstreamBody
        : tee(upstreamBody, config.idempotency.store.maxResponseBody, (copy, error) => {
            if (copy !== null) {
              const kept = { status, headers: store.headers, body: copy, fromUpstream: true, releaseOn }
              return settle(request, store.claim, kept)
            }
            const problem = cutBodyProblem(error)
            settle(request, store.claim, problem && unanswered(request, { kind: 'cut', status }, problem))
          })
    return reply.code(status).headers(headers).send(body)
  }

  /** Notes and counts an upstream body that fails after its head (stalled, reset, malformed). */
  function watchBody(request: FastifyRequest, body: Readable): Readable {
    body.once('error', (error: Error & { code?: string }) => {
      // Destroyed by the sidecar itself (the client left): not the upstream's failure.
      if (error.code === 'UND_ERR_ABORTED') return
      request.sidecar.upstreamBodyError = error
      const reason = failureOf(error, false)
      events.emit('bodyFailed', { route: request.sidecar.route.name, requestId: request.id, reason })
    })
    return body
  }

  /** The sidecar's own answer kept under the key when the request ended ambiguously, else null (release). */
  function unanswered(request: FastifyRequest, ending: Unanswered, error: SidecarError): FinalResponse | null {
    const { route } = request.sidecar
    const idempotent = isIdempotent(request.method, route.policy.idempotent)
    return unansweredSettlement(ending, error, {
      idempotent,
      releaseOn: route.idempotency.releaseOn,
      requestId: request.id
    })
  }

  function settle(request: FastifyRequest, claim: Claim, response: FinalResponse | null) {
    coordinator.settle(claim, response).then(
      (settled) => {
        if (settled !== 'store_error') return
        events.emit('idempotency', { route: request.sidecar.route.name, requestId: request.id, result: 'store_error' })
      },
      (error: unknown) => request.log.error({ err: error }, 'idempotency settle failed')
    )
  }
}

const FORWARD = { kind: 'forward', claim: null } as const

/** RFC 9110 §6.4.1: a 204 or 304 answer has no content, whatever its headers say. */
function hasBody(status: number): boolean {
  return status !== 204 && status !== 304
}
