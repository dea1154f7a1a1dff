// A POST (not idempotent) that upstream reads and does not answer within perTryTimeout: Didit may
// still process it, so the sidecar's 504 upstream_timeout is stored under the client's key; the
// client's retry with the same key gets it replayed and upstream sees one POST.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startRawUpstream } from '../helpers/raw-upstream.js'
import { startSidecar } from '../helpers/sidecar.js'
import { assertProblem, post, replayed } from './harness.js'

const PATH = '/v3/database-validation/'
const BODY = '{"first_name":"A"}'

t.test('per-try timeout after the request was sent → 504 stored and replayed, one upstream POST', async (t) => {
  const upstream = await startRawUpstream(t, (socket, request) => {
    // The first request is read and never answered (its socket closes in teardown).
    if (request.index > 1)
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}')
  })
  const sidecar = await startSidecar(t, {
    upstream: { url: upstream.url },
    idempotency: { store: { type: 'memory' } },
    retry: { perTryTimeout: '200ms' }
  })
  const send = client(t)

  const first = await send(`${sidecar.url}${PATH}`, post('dv-timeout-1', BODY))
  assertProblem(t, first, 504, 'upstream_timeout', 'the first try')

  const retry = await send(`${sidecar.url}${PATH}`, post('dv-timeout-1', BODY))
  assertProblem(t, retry, 504, 'upstream_timeout', 'the retry')
  t.ok(replayed(retry), 'Idempotent-Replayed: true')
  t.same(retry.body, first.body, 'the body the first try was sent')
  t.equal(upstream.requests.length, 1, 'upstream saw exactly one POST')
})
