// 204 and 304 have no content (RFC 9110 §6.4.1), whatever their Content-Length says; undici exempts
// only HEAD from its length check, so the sidecar must not read their body. And an upstream answer
// that breaks HTTP in a way the sidecar has no name for is still the upstream's fault: 502, not 500.
import t from 'tap'
import { client } from '../helpers/client.js'
import { assertProblem } from '../helpers/e2e.js'
import { startRawUpstream } from '../helpers/raw-upstream.js'
import { startSidecar } from '../helpers/sidecar.js'

t.test('304 and 204 with Content-Length reach the client as such', async (t) => {
  const upstream = await startRawUpstream(t, (socket, request) => {
    if (request.head.startsWith('GET /v3/session/s-1/decision/'))
      socket.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nCache-Control: max-age=60\r\nContent-Length: 42\r\n\r\n')
    else socket.write('HTTP/1.1 204 No Content\r\nX-Deleted: yes\r\nContent-Length: 42\r\n\r\n')
  })
  const sidecar = await startSidecar(t, { upstream: { url: upstream.url } })
  const send = client(t)
  const notModified = await send(`${sidecar.url}/v3/session/s-1/decision/`, { headers: { 'if-none-match': '"v1"' } })
  t.equal(notModified.status, 304)
  t.equal(notModified.headers.etag, '"v1"')
  t.equal(notModified.headers['cache-control'], 'max-age=60')
  t.equal(notModified.body.length, 0)
  t.notOk(notModified.headers['content-length'], 'no length for undici-based clients to trip on')
  const noContent = await send(`${sidecar.url}/v3/session/s-1/`, { method: 'DELETE' })
  t.equal(noContent.status, 204)
  t.equal(noContent.headers['x-deleted'], 'yes')
  t.notOk(noContent.headers['content-length'], 'no Content-Length on a 204 (RFC 9110 §8.6)')
  t.equal(upstream.requests.length, 2)
  t.notOk(
    sidecar.logs().some((line) => Number(line.level) >= 50),
    'no error line'
  )
})

t.test('a broken chunked body before any byte → 502 upstream_protocol_error, never 500', async (t) => {
  const upstream = await startRawUpstream(t, (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot hex\r\n')
  })
  const sidecar = await startSidecar(t, { upstream: { url: upstream.url } })
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/session/s-1/decision/`)
  assertProblem(t, response, 502, 'upstream_protocol_error')
  t.notOk(
    sidecar.logs().some((line) => Number(line.level) >= 50),
    'no error line: not the sidecar failing'
  )
})
