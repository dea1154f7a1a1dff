// The benchmark's upstream: a minimal fast HTTP server (not the fake Didit and its bookkeeping).
// Every request body is drained, then a small fixed JSON answer is sent on a keep-alive connection.
// Paths under /flaky/ answer 503 to every fifth attempt (FLAKY_EVERY), for the retry scenario:
// a fixed share rather than a random one, so that even a short run sees failures.
import { createServer } from 'node:http'

const flakyEvery = Number(process.env.FLAKY_EVERY ?? '5')
let flakyCount = 0
const created = Buffer.from(
  JSON.stringify({ session_id: '11111111-2222-3333-4444-555555555555', session_number: 1, status: 'Not Started' })
)
const decision = Buffer.from(JSON.stringify({ status: 'Approved', padding: 'x'.repeat(900) }))
const unavailable = Buffer.from('{"detail":"unavailable"}')

const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  request.resume()
  request.on('end', () => {
    const flaky = request.url.startsWith('/flaky/') && ++flakyCount % flakyEvery === 0
    const body = flaky ? unavailable : request.method === 'GET' ? decision : created
    response.writeHead(flaky ? 503 : request.method === 'POST' ? 201 : 200, {
      'content-type': 'application/json',
      'content-length': body.length
    })
    response.end(body)
  })
})
server.headersTimeout = 0
server.requestTimeout = 0
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`)
})
process.on('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
