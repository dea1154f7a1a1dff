// A response body that stalls longer than upstream.bodyIdleTimeout is cut and counted: with bytes
// already sent, the client's response breaks; with none, the client gets 504 upstream_timeout. The
// upstream socket is closed either way, so nothing is held by a silent Didit.
import { request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { client } from '../helpers/client.js'
import { assertProblem, metric, metricsAfter } from '../helpers/e2e.js'
import { startRawUpstream } from '../helpers/raw-upstream.js'
import { sample, startSidecar } from '../helpers/sidecar.js'

const IDLE_MS = 200

async function until(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (!check() && Date.now() < end) await sleep(10)
  return check()
}

t.test('head and 10 bytes, then silence → the client response breaks after the idle timeout', async (t) => {
  const upstream = await startRawUpstream(t, (socket) => {
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 1000\r\n\r\n${'p'.repeat(10)}`)
  })
  const sidecar = await startSidecar(t, {
    upstream: { url: upstream.url, bodyIdleTimeout: `${IDLE_MS}ms` },
    retry: { perTryTimeout: '5s', timeout: '10s' }
  })
  const started = Date.now()
  const received = await new Promise<{ status: number; bytes: number; broken: boolean }>((resolve) => {
    const req = request(`${sidecar.url}/v3/session/s-1/generate-pdf/`, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
      })
      res.on('close', () => resolve({ status: res.statusCode ?? 0, bytes, broken: !res.complete }))
    })
    req.on('error', () => undefined).end()
  })
  const elapsed = Date.now() - started
  t.match(received, { status: 200, bytes: 10, broken: true }, 'head and 10 bytes, then the response broke')
  t.ok(elapsed >= IDLE_MS - 20 && elapsed < 5000, `cut after ${elapsed} ms (idle timeout ${IDLE_MS} ms)`)
  t.ok(await until(() => upstream.openSockets() === 0), 'the upstream socket was closed')
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('upstream_body_failures_total'), { route: 'default', reason: 'timeout' }), 1)
  t.equal(sample(metrics, metric('requests_total'), { outcome: 'aborted' }), 1)
})

t.test('head, then silence → 504 upstream_timeout, counted as a body timeout', async (t) => {
  const upstream = await startRawUpstream(t, (socket) => {
    socket.write(
      'HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nCache-Control: max-age=60\r\nContent-Length: 1000\r\n\r\n'
    )
  })
  const sidecar = await startSidecar(t, {
    upstream: { url: upstream.url, bodyIdleTimeout: `${IDLE_MS}ms` },
    retry: { perTryTimeout: '5s', timeout: '10s' }
  })
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/session/s-1/generate-pdf/`)
  assertProblem(t, response, 504, 'upstream_timeout')
  t.notOk(response.headers['cache-control'], 'none of the upstream headers')
  t.ok(await until(() => upstream.openSockets() === 0), 'the upstream socket was closed')
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('upstream_body_failures_total'), { reason: 'timeout' }), 1)
  t.equal(sample(metrics, metric('requests_total'), { code: '504', outcome: 'aborted' }), 1)
})
