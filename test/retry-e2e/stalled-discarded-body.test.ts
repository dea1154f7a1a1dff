// A retried 503 whose body stalls: the sidecar does not wait on a body it will discard. The retry
// goes out after its backoff, the client gets the second answer in time, and the stalled body is
// cut at the request's deadline (counted as `discarded`), which frees its upstream socket.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { client } from '../helpers/client.js'
import { startRawUpstream } from '../helpers/raw-upstream.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, metric, metricsAfter } from './harness.js'

const TIMEOUT_MS = 1000

t.test('503 head + 5 of 100 body bytes, then silence; then 200 → 200 in time, the stalled body cut', async (t) => {
  const upstream = await startRawUpstream(t, (socket, request) => {
    if (request.index === 1) socket.write('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100\r\n\r\nbusy.')
    else socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}')
  })
  const sidecar = await startSidecar(t, {
    // The idle timeout is far away: only the request's own deadline can bound the discard.
    upstream: { url: upstream.url, bodyIdleTimeout: '30s' },
    retry: { perTryTimeout: '500ms', timeout: `${TIMEOUT_MS}ms`, backoff: FAST_BACKOFF }
  })
  const send = client(t)
  const started = Date.now()
  const response = await Promise.race([send(`${sidecar.url}/v3/session/s-1/decision/`), sleep(5000).then(() => null)])
  const elapsed = Date.now() - started
  t.ok(response !== null, 'answered')
  t.equal(response?.status, 200)
  t.equal(response?.body.toString(), '{"ok":true}')
  t.equal(response?.headers['x-sidecar-attempts'], '2')
  t.ok(elapsed < TIMEOUT_MS, `answered after ${elapsed} ms, within the ${TIMEOUT_MS} ms timeout`)
  t.equal(upstream.requests.length, 2)

  // The discarded body's socket is closed at the deadline, not held for bodyIdleTimeout.
  const stalled = upstream.requests[0]
  const end = Date.now() + 3000
  while (stalled?.socketClosed() !== true && Date.now() < end) await sleep(10)
  t.ok(stalled?.socketClosed(), 'the stalled socket was closed')
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('upstream_body_failures_total'), { route: 'default', reason: 'discarded' }), 1)
})
