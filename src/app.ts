// buildApp(config, deps): the proxy and admin servers, wired in request order:
// arrival (target, route, limits) → body read → forward (key, idempotency, retries, response).
// Only server.ts listens and handles signals.
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, LogController } from 'fastify'
import type { DestinationStream, Logger } from 'pino'
import { Registry } from 'prom-client'
import type { Dispatcher } from 'undici'
import { buildAdmin, type Lifecycle } from './admin.js'
import type { Config } from './config/schema.js'
import { closeConnectionsWhenDraining, closeIdleWhenDraining, closingWhenDraining } from './drain.js'
import { SidecarError } from './errors.js'
import { Coordinator } from './idempotency/coordinator.js'
import { LazyStore } from './idempotency/lazy-store.js'
import { MemoryStore } from './idempotency/memory-store.js'
import type { IdempotencyStore } from './idempotency/store.js'
import { tenantOf } from './idempotency/tenant.js'
import { Events } from './observe/events.js'
import { createLogger, lazyChildLogger, observeLogs } from './observe/logging.js'
import { observeMetrics } from './observe/metrics.js'
import { arrival, setAsideAbsoluteTarget, stampHeaders } from './proxy/arrival.js'
import { readBody } from './proxy/body.js'
import { BufferBudget } from './proxy/buffer-budget.js'
import { clientErrorHandler } from './proxy/client-errors.js'
import { createForwarder } from './proxy/forward.js'
import { lingerAfterRefusal } from './proxy/linger.js'
import { answerConnect, handleError, sendProblem } from './proxy/problems.js'
import { requestIdFrom } from './proxy/request-id.js'
import { compileRoutes } from './proxy/routes.js'
import { upstreamBase } from './proxy/target.js'
import { createRateLimiter } from './ratelimit/create.js'
import { RetryBudget } from './retry/budget.js'
import { lazySchemaController } from './schema-compilers.js'
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
  /** Bytes of request bodies held for replay, across all requests. */
  bufferBudget: BufferBudget
  /** Closes both servers, letting in-flight requests finish, then the upstream connections. */
  close(): Promise<void>
  /** Cuts what is still open: client connections and upstream requests (after a drain timeout). */
  forceClose(): Promise<void>
}

const ROUTED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

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
  const rateLimiter = createRateLimiter(config.rateLimit, { events, now, wallClock: Date.now })
  observeMetrics(registry, events, { routes: config.routes.map((route) => route.name), version: VERSION })
  observeLogs(logger, events)

  const matchRoute = compileRoutes(config.routes, config.retry, { releaseOn: config.idempotency.releaseOn })
  const budgets = new Map(
    [...config.routes.map((route) => [route.name, route.policy] as const), ['default', config.retry] as const].map(
      ([name, policy]) => [name, new RetryBudget(policy.budget, now)]
    )
  )

  const arrivals = arrival({ config, matchRoute, budgets, events, now })
  const proxy = Fastify({
    loggerInstance: logger.child({ server: 'proxy' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (parent, bindings, options) =>
      lazyChildLogger(parent as Logger, bindings, options) as FastifyBaseLogger,
    requestIdHeader: false,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    bodyLimit: config.listen.bodyLimit,
    // Absolute-form targets (`GET http://other.host/`) must be caught before routing.
    rewriteUrl: setAsideAbsoluteTarget,
    // Refusals before routing get problem+json, a count and a log line like every other.
    frameworkErrors: arrivals.refuseUndecodable,
    clientErrorHandler: clientErrorHandler(events),
    schemaController: lazySchemaController()
  })
  proxy.server.on('connect', (_req: IncomingMessage, socket: Socket) => answerConnect(socket))
  // `Expect: 100-continue` is answered in onRequest, after the checks, so that a refused request
  // (413, 400) is refused before its body is sent; Node would send 100 Continue at once.
  proxy.server.on('checkContinue', (req, res) => proxy.server.emit('request', req, res))

  const bufferBudget = new BufferBudget(config.listen.maxBufferedTotal)
  proxy.decorateRequest('sidecar', null as never)
  proxy.removeAllContentTypeParsers()
  proxy.addContentTypeParser('*', (request: FastifyRequest, payload: IncomingMessage) => {
    const state = request.sidecar
    // Only a request with a body takes a lease; its response's close gives it back (arrival.ts).
    state.lease ??= bufferBudget.lease()
    return readBody(payload, {
      maxBuffered: state.route.policy.maxBufferedBody,
      bodyLimit: config.listen.bodyLimit,
      lease: state.lease
    })
  })

  proxy.addHook('onRequest', arrivals.arrive)
  // One onSend hook for every answer, in order: the sidecar's headers, `Connection: close` while
  // draining, and lingering after a refusal (each hook costs every request its own runner step).
  const stamp = stampHeaders(config.idempotency.header)
  const closing = closingWhenDraining(lifecycle)
  const lingerIfRefused = lingerAfterRefusal(config.listen)
  proxy.addHook('onSend', (request, reply, payload, done) => {
    stamp(request, reply)
    closing(reply)
    lingerIfRefused(request, reply)
    done(null, payload)
  })
  proxy.setErrorHandler(handleError)
  // Every path is routed, so only an unrouted method can end here.
  proxy.setNotFoundHandler((request, reply) => sendProblem(request, reply, new SidecarError('method_not_allowed')))

  const forward = createForwarder({
    config,
    dispatcher,
    upstream: upstreamBase(config.upstream.url),
    coordinator,
    rateLimiter,
    events,
    now,
    random: deps.random ?? Math.random
  })
  // The proxy port reserves no path of its own: every path is forwarded.
  proxy.route({ method: ROUTED_METHODS, url: '/', handler: forward })
  proxy.route({ method: ROUTED_METHODS, url: '/*', handler: forward })

  const admin = buildAdmin(registry, lifecycle, logger, config.admin)
  closeIdleWhenDraining(proxy, lifecycle)
  closeConnectionsWhenDraining(admin, lifecycle)
  let forced = false

  return {
    proxy,
    admin,
    events,
    registry,
    lifecycle,
    logger,
    bufferBudget,
    async close() {
      // The proxy first: the admin server keeps answering /readyz (503) while requests drain.
      await proxy.close()
      await admin.close()
      if (!forced) await dispatcher.close()
      coordinator.close()
      await store.close()
      await rateLimiter?.close()
    },
    async forceClose() {
      forced = true
      proxy.server.closeAllConnections()
      await dispatcher.destroy()
    }
  }
}

function createStore(options: Config['idempotency']['store']): IdempotencyStore {
  if (options.type === 'memory') {
    const { maxEntries, maxBytes, scopeShare, keyPrefix } = options
    return new MemoryStore({ maxEntries, maxBytes, scopeShare, scopeOf: tenantOf(keyPrefix) })
  }
  // The key prefix is applied once, by the coordinator's scope key.
  return new LazyStore(async () => {
    const { RedisStore } = await import('./idempotency/redis-store.js')
    return new RedisStore({ url: options.url, timeout: options.timeout })
  })
}
