// When the upstream body fails after its head, the sidecar answers with its own problem+json, and
// with its own headers only: the upstream's Content-Encoding would make `curl --compressed` fail on
// it, its Cache-Control would let a cache keep the error, its Set-Cookie and ETag are not ours.
import t from 'tap'
import { client } from '../helpers/client.js'
import { assertProblem } from '../helpers/e2e.js'
import { startRawUpstream } from '../helpers/raw-upstream.js'
import { startSidecar } from '../helpers/sidecar.js'

t.test('upstream head with gzip, cache, cookie and ETag, then close → a 502 carrying none of them', async (t) => {
  const upstream = await startRawUpstream(t, (socket) => {
    socket.write(
      'HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Encoding: gzip\r\n' +
        'Cache-Control: public, max-age=86400\r\nSet-Cookie: session=abc; Path=/\r\nETag: "v1"\r\n' +
        'Vary: Accept-Encoding\r\nContent-Length: 100\r\n\r\n'
    )
    setTimeout(() => socket.destroy(), 20)
  })
  const sidecar = await startSidecar(t, { upstream: { url: upstream.url } })
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/session/s-1/generate-pdf/`, {
    method: 'POST',
    headers: { 'idempotency-key': 'pdf-1', 'content-type': 'application/json' },
    body: '{}'
  })
  assertProblem(t, response, 502, 'upstream_reset')
  for (const name of ['content-encoding', 'cache-control', 'set-cookie', 'etag', 'vary']) {
    t.notOk(response.headers[name], `no upstream ${name}`)
  }
  t.type(response.headers['x-request-id'], 'string', 'request id')
  t.equal(response.headers['x-sidecar-attempts'], '1', 'attempts')
  t.equal(response.headers['idempotency-key'], 'pdf-1', 'idempotency key')
  t.equal(response.headers['content-length'], String(response.body.length), 'its own length')
})
