// The admin server, on its own port: metrics and probes. Readiness never depends on Didit:
// a Didit outage must not mark every application pod NotReady.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'

export interface Lifecycle {
  state: 'starting' | 'ready' | 'draining'
}

export function buildAdmin(registry: Registry, lifecycle: Lifecycle, logger: Logger): FastifyInstance {
  const admin = Fastify({
    loggerInstance: logger.child({ server: 'admin' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true })
  })
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
