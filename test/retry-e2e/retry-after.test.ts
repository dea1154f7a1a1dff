// Retry-After on 429/503 (RFC 9110 §10.2.3, delay-seconds or HTTP-date) is a floor for the wait;
// one longer than retryAfter.max is not waited for: the client gets the upstream's answer at once.
import t from 'tap'
import { client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, logsWhen, metric, metricsAfter, startUpstream } from './harness.js'

// receivedAt is Date.now() (wall clock, whole ms) while the sidecar's timers run on libuv's
// monotonic whole-ms clock: the two roundings may differ by a millisecond or two.
const CLOCK_SLACK_MS = 2

const config = (url: string, retryAfterMax = '30s') => ({
  upstream: { url },
  retry: {
    maxAttempts: 3,
    perTryTimeout: '2s',
    timeout: '10s',
    backoff: FAST_BACKOFF,
    retryAfter: { honour: true, max: retryAfterMax }
  }
})

t.test('429 with Retry-After: 1, then 200 → the second attempt starts at least 1 s after the first', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/aml/' }, [
    { status: 429, headers: { 'retry-after': '1' }, body: { detail: 'slow down' } },
    { status: 200, body: { ok: true } }
  ])
  const sidecar = await startSidecar(t, config(didit.url))
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/aml/`, { method: 'POST', body: '{"full_name":"A"}' })
  t.equal(response.status, 200)
  t.equal(response.headers['x-sidecar-attempts'], '2')
  const [first, second] = didit.requests
  const gap = (second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)
  t.ok(gap >= 1000 - CLOCK_SLACK_MS, `second attempt ${gap} ms after the first (>= 1000)`)
  const lines = await logsWhen(sidecar, (line) => line.msg === 'retrying')
  const retry = lines.find((line) => line.msg === 'retrying')
  t.ok(Number(retry?.waitMs) >= 1000, `planned wait ${retry?.waitMs} ms >= 1000`)
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('retries_total'), { route: 'default', reason: '429' }), 1)
})

t.test('503 with an HTTP-date Retry-After → no attempt before that date', async (t) => {
  const didit = await startUpstream(t)
  // HTTP-dates have whole seconds: pick one on a second boundary, 1 to 2 s ahead.
  const at = Math.ceil((Date.now() + 1000) / 1000) * 1000
  const date = new Date(at).toUTCString()
  didit.script({ path: '/v3/sessions/' }, [
    { status: 503, headers: { 'retry-after': date } },
    { status: 200, body: { results: [] } }
  ])
  const sidecar = await startSidecar(t, config(didit.url))
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/sessions/`)
  t.equal(response.status, 200)
  t.equal(response.headers['x-sidecar-attempts'], '2')
  const [first, second] = didit.requests
  const secondAt = second?.receivedAt ?? 0
  t.ok(secondAt >= at - CLOCK_SLACK_MS, `second attempt ${secondAt - at} ms after the Retry-After date`)
  t.ok(secondAt - (first?.receivedAt ?? 0) >= 500, 'waited at least ~500 ms')
})

t.test('Retry-After: 5 beyond retryAfter.max 1s → the 429 at once, 1 attempt', async (t) => {
  const didit = await startUpstream(t)
  didit.script(
    { path: '/v3/aml/' },
    { status: 429, headers: { 'retry-after': '5', 'x-ratelimit-remaining': '0' }, body: { detail: 'slow down' } },
    { repeat: true }
  )
  const sidecar = await startSidecar(t, config(didit.url, '1s'))
  const send = client(t)
  const started = Date.now()
  const response = await send(`${sidecar.url}/v3/aml/`, { method: 'POST', body: '{"full_name":"A"}' })
  const elapsed = Date.now() - started
  t.equal(response.status, 429, "the upstream's answer")
  t.equal(response.headers['retry-after'], '5', 'with its Retry-After')
  t.equal(response.headers['x-ratelimit-remaining'], '0')
  t.same(JSON.parse(response.body.toString()), { detail: 'slow down' })
  t.equal(response.headers['x-sidecar-attempts'], '1')
  t.equal(didit.count(), 1, 'one attempt')
  t.ok(elapsed < 2500, `answered in ${elapsed} ms, well under 5 s`)
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('retries_skipped_total'), { route: 'default', reason: 'retry_after' }), 1)
  t.equal(sample(metrics, metric('retries_total')), 0)
  t.equal(sample(metrics, metric('requests_total'), { code: '429', outcome: 'retry_after' }), 1)
})

t.test("Retry-After past the request's timeout → the 503 at once, not a doomed wait", async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/sessions/' }, { status: 503, headers: { 'retry-after': '3' } }, { repeat: true })
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    retry: { maxAttempts: 3, perTryTimeout: '1s', timeout: '1s', backoff: FAST_BACKOFF, retryAfter: { max: '30s' } }
  })
  const send = client(t)
  const started = Date.now()
  const response = await send(`${sidecar.url}/v3/sessions/`)
  const elapsed = Date.now() - started
  t.equal(response.status, 503)
  t.equal(response.headers['retry-after'], '3')
  t.equal(response.headers['x-sidecar-attempts'], '1')
  t.equal(didit.count(), 1)
  t.ok(elapsed < 900, `answered in ${elapsed} ms, without waiting for the deadline`)
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('retries_skipped_total'), { route: 'default', reason: 'deadline' }), 1)
  t.equal(sample(metrics, metric('requests_total'), { code: '503', outcome: 'deadline' }), 1)
})
