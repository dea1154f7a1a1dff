// Contender: bare @fastify/http-proxy (Fastify 5 + @fastify/reply-from on undici), no logger.
// reply-from turns TLS verification off unless told otherwise, and retries GETs on 503 (reading
// Retry-After as milliseconds) even with maxRetriesOn503: 0; a retryDelay hook returning null
// is what turns its retries off, so this is the forward path without retries.
import proxy from '@fastify/http-proxy'
import Fastify from 'fastify'

const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 })
app.get('/readyz', async () => 'ok')
await app.register(proxy, {
  upstream: process.env.UPSTREAM,
  undici: { connections: 128, tls: { rejectUnauthorized: true } },
  replyOptions: { retryDelay: () => null }
})
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
process.on('SIGTERM', () => {
  app.close().then(() => process.exit(0))
})
