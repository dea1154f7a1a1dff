// Bodies up to maxBufferedBody are buffered so that every attempt sends identical bytes; a larger
// one is streamed upstream once and never retried, even on a retryable answer of an idempotent route.
import { createHash, randomBytes } from 'node:crypto'
import t from 'tap'
import { client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, metric, metricsAfter, startUpstream } from './harness.js'

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

const config = (url: string) => ({
  upstream: { url },
  retry: { maxAttempts: 3, backoff: FAST_BACKOFF },
  routes: [
    {
      name: 'upload',
      method: 'POST',
      path: '/v3/upload/',
      retry: { maxBufferedBody: '64KiB', idempotent: true }
    }
  ]
})

t.test('a 200 KiB body over maxBufferedBody 64KiB → sent once, whole, not retried', async (t) => {
  const didit = await startUpstream(t)
  didit.script(
    { path: '/v3/upload/' },
    { status: 503, headers: { 'x-didit-trace': 'busy' }, body: 'busy' },
    { repeat: true }
  )
  const sidecar = await startSidecar(t, config(didit.url))
  const send = client(t)
  const body = randomBytes(200 * 1024)
  const response = await send(`${sidecar.url}/v3/upload/`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body
  })
  t.equal(response.status, 503, "the upstream's 503")
  t.equal(response.body.toString(), 'busy')
  t.equal(response.headers['x-didit-trace'], 'busy')
  t.equal(response.headers['x-sidecar-attempts'], '1')
  t.equal(didit.count(), 1, 'exactly one attempt')
  t.equal(didit.requests[0]?.body.length, body.length, 'the whole body arrived')
  t.equal(didit.requests[0]?.sha256, sha256(body), 'byte for byte')
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('retries_skipped_total'), { route: 'upload', reason: 'body_too_large' }), 1)
  t.equal(sample(metrics, metric('retries_total')), 0)
  t.equal(sample(metrics, metric('requests_total'), { route: 'upload', code: '503', outcome: 'body_too_large' }), 1)
})

t.test('a small body → identical bytes on every attempt (503, 503, 200)', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/upload/' }, [{ status: 503 }, { status: 503 }, { status: 200, body: 'stored' }])
  const sidecar = await startSidecar(t, config(didit.url))
  const send = client(t)
  const body = randomBytes(32 * 1024)
  const response = await send(`${sidecar.url}/v3/upload/`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body
  })
  t.equal(response.status, 200)
  t.equal(response.body.toString(), 'stored')
  t.equal(response.headers['x-sidecar-attempts'], '3')
  t.same(
    didit.requests.map((r) => r.sha256),
    [sha256(body), sha256(body), sha256(body)],
    'the same hash on all 3 attempts'
  )
  t.ok(
    didit.requests.every((r) => r.headers['content-length'] === String(body.length)),
    'each attempt declares the same length'
  )
})
