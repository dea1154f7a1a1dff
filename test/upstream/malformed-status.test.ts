// An upstream status outside 100-599 (`HTTP/1.1 600 X`) cannot be passed on: the client gets the
// sidecar's 502 upstream_protocol_error, the upstream body is destroyed (its socket closed), and
// the idempotency claim is settled: on a POST the answer may have been processed, so the sidecar's
// 502 is kept under the key and the client's retry gets it replayed (never 409, never a second call).
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { client } from '../helpers/client.js'
import { assertProblem, metric, metricsAfter } from '../helpers/e2e.js'
import { startRawUpstream } from '../helpers/raw-upstream.js'
import { sample, startSidecar } from '../helpers/sidecar.js'

t.test('HTTP/1.1 600 → 502 problem, socket closed, the key settled with that 502', async (t) => {
  const upstream = await startRawUpstream(t, (socket) => {
    // The body is announced but never completes: only destroying it frees the socket.
    socket.write('HTTP/1.1 600 X\r\nContent-Type: text/plain\r\nSet-Cookie: a=b\r\nContent-Length: 100\r\n\r\nodd')
  })
  const sidecar = await startSidecar(t, { upstream: { url: upstream.url } })
  const send = client(t)
  const post = () =>
    send(`${sidecar.url}/v3/session/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'order-600', 'x-api-key': 'tenant-a' },
      body: '{"workflow_id":"w"}'
    })
  const first = await post()
  assertProblem(t, first, 502, 'upstream_protocol_error')
  t.notOk(first.headers['set-cookie'], "none of the upstream's headers")
  t.equal(first.headers['x-sidecar-attempts'], '1')

  const second = await post()
  assertProblem(t, second, 502, 'upstream_protocol_error', 'the retry gets the same answer, not 409')
  t.equal(second.headers['idempotent-replayed'], 'true', 'replayed from the store')
  t.equal(upstream.requests.length, 1, 'never sent twice')

  const end = Date.now() + 3000
  while (upstream.openSockets() > 0 && Date.now() < end) await sleep(10)
  t.equal(upstream.openSockets(), 0, 'no upstream socket held')
  const metrics = await metricsAfter(sidecar, 2)
  t.equal(sample(metrics, metric('upstream_attempts_total'), { result: 'protocol' }), 1)
  t.equal(sample(metrics, metric('requests_total'), { code: '502' }), 2)
})
