// Contender: node http-proxy (npm `http-proxy`) on node:http, keep-alive agent to the upstream.
import { Agent, createServer } from 'node:http'
import httpProxy from 'http-proxy'

const target = process.env.UPSTREAM
const proxy = httpProxy.createProxyServer({ target, agent: new Agent({ keepAlive: true, maxSockets: 128 }) })
proxy.on('error', (_error, _request, response) => {
  if (!response.headersSent) response.writeHead(502)
  response.end()
})
const server = createServer((request, response) => {
  if (request.url === '/readyz') return response.end('ok')
  proxy.web(request, response)
})
server.listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
