// The admin server, on its own port: metrics and probes. Readiness never depends on Didit:
// a Didit outage must not mark every application pod NotReady.
// It listens on all interfaces, so its connections are capped and idle or slow ones are cut
// quickly: nothing on the admin port may use up the descriptors that the proxy port needs.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Config } from './config/schema.js'
import { lazySchemaController } from './schema-compilers.js'

export interface Lifecycle {
  state: 'starting' | 'ready' | 'draining'
}

export function buildAdmin(
  registry: Registry,
  lifecycle: Lifecycle,
  logger: Logger,
  limits: Pick<Config['admin'], 'maxConnections' | 'timeout'>
): FastifyInstance {
  const { timeout } = limits
  const admin = Fastify({
    loggerInstance: logger.child({ server: 'admin' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    connectionTimeout: timeout,
    keepAliveTimeout: timeout,
    requestTimeout: timeout,
    // Node checks header and request timeouts on this interval (30 s by default).
    http: { connectionsCheckingInterval: Math.max(100, Math.floor(timeout / 2)) },
    schemaController: lazySchemaController()
  })
  admin.server.maxConnections = limits.maxConnections
  admin.server.headersTimeout = timeout
  admin.get('/metrics', async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
  admin.get('/healthz', async () => ({ status: 'ok' }))
  admin.get('/readyz', async (_request, reply) => {
    reply.code(lifecycle.state === 'ready' ? 200 : 503)
    return { status: lifecycle.state }
  })
  return admin
}
