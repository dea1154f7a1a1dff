// The proxy handler: the stages of a request in order — idempotency key, (idempotency store),
// retry loop over the upstream, response. Each stage is one named call.
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Dispatcher } from 'undici'
import type { Config } from '../config/schema.js'
import { SidecarError } from '../errors.js'
import type { Events } from '../observe/events.js'
import { type RunResult, runWithRetries } from '../retry/run.js'
import { sendAttempt, type UpstreamRequest } from '../upstream/attempt.js'
import type { RequestBody } from './body.js'
import { inboundHeaders, outboundHeaders } from './headers.js'
import { decideKey } from './idempotency-key.js'

export interface ForwardDeps {
  config: Config
  dispatcher: Dispatcher
  upstream: { origin: string; prefix: string }
  events: Events
  now(): number
  random(): number
}

export function createForwarder(deps: ForwardDeps) {
  const { config, events } = deps
  const keyHeader = config.idempotency.header.toLowerCase()

  return async function forward(request: FastifyRequest, reply: FastifyReply) {
    const state = request.sidecar
    const key = assignKey(request)
    const body = request.body as RequestBody | undefined
    const upstreamRequest: UpstreamRequest = {
      origin: deps.upstream.origin,
      path: deps.upstream.prefix + state.target.path + state.target.query,
      method: request.method,
      headers: outboundHeaders(request.raw.rawHeaders, {
        set: ownHeaders(request.id, key),
        keepContentLength: body?.kind === 'streamed'
      }),
      body: body === undefined ? null : body.kind === 'buffered' ? body.bytes : body.stream
    }
    let clientGone = false
    reply.raw.once('close', () => {
      clientGone = !reply.raw.writableFinished
    })
    const result = await runWithRetries(
      {
        route: state.route.name,
        requestId: request.id,
        method: request.method,
        policy: state.route.policy,
        replayable: body?.kind !== 'streamed',
        send: (_attempt, perTryTimeout) => sendAttempt(deps.dispatcher, upstreamRequest, perTryTimeout),
        clientGone: () => clientGone
      },
      {
        budget: state.budget,
        events,
        now: deps.now,
        wallClock: Date.now,
        random: deps.random,
        sleep: (ms) => sleep(ms)
      }
    )
    return respond(reply, result)
  }

  /** The request's idempotency key: the client's (checked) or a generated one; none for other methods. */
  function assignKey(request: FastifyRequest): string | undefined {
    const decision = decideKey(request.method, request.headers[keyHeader], config.idempotency.methods)
    if (decision.kind === 'none') return undefined
    if (decision.kind === 'invalid') throw new SidecarError('invalid_idempotency_key')
    request.sidecar.idempotencyKey = decision.key
    events.emit('idempotencyKey', { route: request.sidecar.route.name, requestId: request.id, source: decision.source })
    return decision.key
  }

  function ownHeaders(requestId: string, key: string | undefined): Record<string, string> {
    const own: Record<string, string> = { 'x-request-id': requestId }
    if (key !== undefined) own[keyHeader] = key
    if (config.upstream.apiKey !== '') own['x-api-key'] = config.upstream.apiKey
    return own
  }
}

/** Sends the final upstream answer unchanged (streamed), or throws the sidecar's own error. */
function respond(reply: FastifyReply, result: RunResult) {
  const state = reply.request.sidecar
  state.attempts = result.attempts
  state.outcome = result.outcome
  if (result.kind === 'error') throw result.error
  const { response } = result
  return reply.code(response.status).headers(inboundHeaders(response.headers)).send(response.body)
}
