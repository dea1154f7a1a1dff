// buildApp(config, deps): the proxy and admin servers, wired in request order:
// target check → route match → body limit → body read → forward (key, retries, response).
// Only server.ts listens and handles signals.
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController
} from 'fastify'
import type { DestinationStream, Logger } from 'pino'
import { Registry } from 'prom-client'
import type { Dispatcher } from 'undici'
import { buildAdmin, type Lifecycle } from './admin.js'
import type { Config } from './config/schema.js'
import { SidecarError } from './errors.js'
import { Coordinator } from './idempotency/coordinator.js'
import { MemoryStore } from './idempotency/memory-store.js'
import { RedisStore } from './idempotency/redis-store.js'
import type { IdempotencyStore } from './idempotency/store.js'
import { Events } from './observe/events.js'
import { createLogger, observeLogs } from './observe/logging.js'
import { observeMetrics } from './observe/metrics.js'
import { readBody } from './proxy/body.js'
import { createForwarder } from './proxy/forward.js'
import { answerConnect, handleError, sendProblem } from './proxy/problems.js'
import { requestIdFrom } from './proxy/request-id.js'
import { compileRoutes } from './proxy/routes.js'
import './proxy/state.js'
import { checkTarget, splitTarget, upstreamBase } from './proxy/target.js'
import { RetryBudget } from './retry/budget.js'
import { createAgent } from './upstream/agent.js'
import { VERSION } from './version.js'

export interface AppDeps {
  /** Metrics registry; a fresh one by default. */
  registry?: Registry
  /** Where log lines go (stdout by default). */
  logDestination?: DestinationStream
  /** Upstream dispatcher; the one keep-alive Agent by default. */
  dispatcher?: Dispatcher
  random?: () => number
  /** Monotonic clock in ms. */
  now?: () => number
  /** Idempotency store; by default the one `idempotency.store` configures. */
  store?: IdempotencyStore
}

export interface Sidecar {
  proxy: FastifyInstance
  admin: FastifyInstance
  events: Events
  registry: Registry
  lifecycle: Lifecycle
  logger: Logger
  /** Closes both servers, letting in-flight requests finish, then the upstream connections. */
  close(): Promise<void>
  /** Cuts what is still open: client connections and upstream requests (after a drain timeout). */
  forceClose(): Promise<void>
}

const ROUTED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
const kOriginalUrl = Symbol('originalUrl')
type MarkedRequest = IncomingMessage & { [kOriginalUrl]?: string }

export function buildApp(config: Config, deps: AppDeps = {}): Sidecar {
  const registry = deps.registry ?? new Registry()
  const logger = createLogger(config.log.level, deps.logDestination)
  const events = new Events()
  const lifecycle: Lifecycle = { state: 'starting' }
  const now = deps.now ?? (() => performance.now())
  const dispatcher = deps.dispatcher ?? createAgent(config.upstream)
  const store = deps.store ?? createStore(config.idempotency.store)
  const { idempotency } = config
  const coordinator = new Coordinator(store, {
    concurrent: idempotency.concurrent,
    waitTimeout: idempotency.waitTimeout,
    pollInterval: idempotency.pollInterval,
    lockTtl: idempotency.store.lockTtl,
    ttl: idempotency.store.ttl,
    maxResponseBody: idempotency.store.maxResponseBody,
    onStoreError: idempotency.store.onStoreError
  })
  observeMetrics(registry, events, { routes: config.routes.map((route) => route.name), version: VERSION })
  observeLogs(logger, events)

  const matchRoute = compileRoutes(config.routes, config.retry)
  const budgets = new Map(
    [...config.routes.map((route) => [route.name, route.policy] as const), ['default', config.retry] as const].map(
      ([name, policy]) => [name, new RetryBudget(policy.budget, now)]
    )
  )

  const proxy = Fastify({
    loggerInstance: logger.child({ server: 'proxy' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    bodyLimit: config.listen.bodyLimit,
    // Absolute-form targets (`GET http://other.host/`) must be caught before routing.
    rewriteUrl: (req: MarkedRequest) => {
      const url = req.url ?? '/'
      if (url.startsWith('/')) return url
      req[kOriginalUrl] = url
      return '/'
    }
  })
  proxy.server.on('connect', (_req: IncomingMessage, socket: Socket) => answerConnect(socket))
  // `Expect: 100-continue` is answered in onRequest, after the checks, so that a refused request
  // (413, 400) is refused before its body is sent; Node would send 100 Continue at once.
  proxy.server.on('checkContinue', (req, res) => proxy.server.emit('request', req, res))

  proxy.decorateRequest('sidecar', null as never)
  proxy.removeAllContentTypeParsers()
  proxy.addContentTypeParser('*', (request: FastifyRequest, payload: IncomingMessage) =>
    readBody(payload, { maxBuffered: request.sidecar.route.policy.maxBufferedBody, bodyLimit: config.listen.bodyLimit })
  )

  proxy.addHook('onRequest', async (request, reply) => {
    const url = (request.raw as MarkedRequest)[kOriginalUrl] ?? request.url
    // userinfo in an absolute-form target must not reach the logs
    const target = splitTarget(url.replace(/\/\/[^/@]*@/, '//'))
    const route = matchRoute(request.method, target.path)
    request.sidecar = {
      route,
      budget: budgets.get(route.name) as RetryBudget,
      target,
      started: now(),
      attempts: 0,
      outcome: 'rejected'
    }
    // 'close' rather than onResponse: it also fires when a response breaks midway (Fastify then
    // destroys the socket and runs no onResponse hook).
    reply.raw.once('close', () => emitResponse(request, reply))
    const problem = checkTarget(url)
    if (problem !== null) throw new SidecarError(problem)
    const length = Number(request.headers['content-length'] ?? 0)
    if (length > config.listen.bodyLimit) throw new SidecarError('request_too_large')
    // Only now, with the request accepted, invite the body (RFC 9110 §10.1.1).
    if (request.headers.expect?.toLowerCase() === '100-continue') reply.raw.writeContinue()
  })
  proxy.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
    reply.header('x-sidecar-attempts', String(request.sidecar?.attempts ?? 0))
    const key = request.sidecar?.idempotencyKey
    if (key !== undefined) reply.header(config.idempotency.header, key)
  })
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
      ...(state.idempotencyKey === undefined ? {} : { idempotencyKey: state.idempotencyKey })
    })
  }
  proxy.setErrorHandler(handleError)
  // Every path is routed, so only an unrouted method can end here.
  proxy.setNotFoundHandler((request, reply) => sendProblem(request, reply, new SidecarError('method_not_allowed')))

  const forward = createForwarder({
    config,
    dispatcher,
    upstream: upstreamBase(config.upstream.url),
    coordinator,
    events,
    now,
    random: deps.random ?? Math.random
  })
  // The proxy port reserves no path of its own: every path is forwarded.
  proxy.route({ method: ROUTED_METHODS, url: '/', handler: forward })
  proxy.route({ method: ROUTED_METHODS, url: '/*', handler: forward })

  const admin = buildAdmin(registry, lifecycle, logger)
  let forced = false

  return {
    proxy,
    admin,
    events,
    registry,
    lifecycle,
    logger,
    async close() {
      // The proxy first: the admin server keeps answering /readyz (503) while requests drain.
      await proxy.close()
      await admin.close()
      if (!forced) await dispatcher.close()
      await store.close()
    },
    async forceClose() {
      forced = true
      proxy.server.closeAllConnections()
      await dispatcher.destroy()
    }
  }
}

function createStore(options: Config['idempotency']['store']): IdempotencyStore {
  if (options.type === 'memory') return new MemoryStore({ maxEntries: options.maxEntries })
  // The key prefix is applied once, by the coordinator's scope key.
  return new RedisStore({ url: options.url, timeout: options.timeout })
}
