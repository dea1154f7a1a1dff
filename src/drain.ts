// While draining, keep-alive connections must not hold the process open: pooled clients (Node's
// fetch, undici, every HTTP library) keep idle connections for a minute, so the server would wait
// for them until drainTimeout. Answers sent while draining carry `Connection: close` (Node then
// closes their connection), and a connection whose answer began before draining is closed as soon
// as it turns idle, so the process exits when its last request ends.
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Lifecycle } from './admin.js'

/** Both halves as hooks of their own (the admin server); the proxy calls `closingWhenDraining` from its one onSend hook. */
export function closeConnectionsWhenDraining(server: FastifyInstance, lifecycle: Lifecycle) {
  const closing = closingWhenDraining(lifecycle)
  server.addHook('onSend', (_request, reply, payload, done) => {
    closing(reply)
    done(null, payload)
  })
  closeIdleWhenDraining(server, lifecycle)
}

/** An answer sent while draining carries `Connection: close`. */
export function closingWhenDraining(lifecycle: Lifecycle) {
  return function closing(reply: FastifyReply) {
    if (lifecycle.state === 'draining') reply.header('connection', 'close')
  }
}

// The hook takes Fastify's callback: it runs on every request, and needs no promise.
export function closeIdleWhenDraining(server: FastifyInstance, lifecycle: Lifecycle) {
  server.addHook('onResponse', (_request, _reply, done) => {
    // After Node's own 'finish' handler has detached the answer from its socket.
    if (lifecycle.state === 'draining') setImmediate(() => server.server.closeIdleConnections())
    done()
  })
}
