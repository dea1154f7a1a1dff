// The one undici Agent behind all upstream traffic: keep-alive, bounded connections, and TLS
// verification always on. Node's default CA store applies, so a private CA is added with
// NODE_EXTRA_CA_CERTS. (@fastify/reply-from would default `rejectUnauthorized` to false.)
import type { Config } from '../config/schema.js'
import { Agent } from './undici-agent.js'

export function createAgent(upstream: Config['upstream']): Agent {
  return new Agent({
    connections: upstream.connections,
    connect: { timeout: upstream.connectTimeout, rejectUnauthorized: true },
    // Per-try timeouts are the retry engine's. A body has its own idle timer: undici's bodyTimeout
    // runs between chunks and pauses while the client applies backpressure.
    headersTimeout: 0,
    bodyTimeout: upstream.bodyIdleTimeout
  })
}
