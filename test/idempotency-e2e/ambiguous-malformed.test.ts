// A POST (not idempotent) answered with a malformed head (status 600): Didit got the request and
// may have processed it, so the sidecar's 502 upstream_protocol_error is stored under the client's
// key; the retry with the same key gets it replayed and upstream sees one POST.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startRawUpstream } from '../helpers/raw-upstream.js'
import { startSidecar } from '../helpers/sidecar.js'
import { assertProblem, post, replayed } from './harness.js'

const PATH = '/v3/aml/'
const BODY = '{"full_name":"A"}'

t.test('a malformed answer → 502 upstream_protocol_error stored and replayed, one upstream POST', async (t) => {
  const upstream = await startRawUpstream(t, (socket, request) => {
    if (request.index === 1) socket.write('HTTP/1.1 600 X\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok')
    else socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}')
  })
  const sidecar = await startSidecar(t, { upstream: { url: upstream.url }, idempotency: { store: { type: 'memory' } } })
  const send = client(t)

  const first = await send(`${sidecar.url}${PATH}`, post('aml-600-1', BODY))
  assertProblem(t, first, 502, 'upstream_protocol_error', 'the first try')

  const retry = await send(`${sidecar.url}${PATH}`, post('aml-600-1', BODY))
  assertProblem(t, retry, 502, 'upstream_protocol_error', 'the retry')
  t.ok(replayed(retry), 'Idempotent-Replayed: true')
  t.same(retry.body, first.body)
  t.equal(upstream.requests.length, 1, 'upstream saw exactly one POST')
})
