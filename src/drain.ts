// While draining, keep-alive connections must not hold the process open: pooled clients (Node's
// fetch, undici, every HTTP library) keep idle connections for a minute, so the server would wait
// for them until drainTimeout. Answers sent while draining carry `Connection: close` (Node then
// closes their connection), and a connection whose answer began before draining is closed as soon
// as it turns idle, so the process exits when its last request ends.
import type { FastifyInstance } from 'fastify'
import type { Lifecycle } from './admin.js'

// The hooks take Fastify's callback: they run on every request, and need no promise.
export function closeConnectionsWhenDraining(server: FastifyInstance, lifecycle: Lifecycle) {
  server.addHook('onSend', (_request, reply, payload, done) => {
    if (lifecycle.state === 'draining') reply.header('connection', 'close')
    done(null, payload)
  })
  server.addHook('onResponse', (_request, _reply, done) => {
    // After Node's own 'finish' handler has detached the answer from its socket.
    if (lifecycle.state === 'draining') setImmediate(() => server.server.closeIdleConnections())
    done()
  })
}
