// perTryTimeout bounds one attempt until its response head. A timed-out attempt is ambiguous (the
// upstream may be working on it): an idempotent GET is retried, a POST with idempotent: null is not.
import t from 'tap'
import { client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { assertProblem, FAST_BACKOFF, metric, metricsAfter, startUpstream } from './harness.js'

const PER_TRY_MS = 200

const config = (url: string) => ({
  upstream: { url },
  retry: { maxAttempts: 3, perTryTimeout: `${PER_TRY_MS}ms`, timeout: '2s', backoff: FAST_BACKOFF, idempotent: null }
})

t.test('GET: the first attempt hangs, the second answers → 200 after 2 attempts', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/session/s-1/decision/' }, [
    { action: 'hang' },
    { status: 200, body: { status: 'Approved' } }
  ])
  const sidecar = await startSidecar(t, config(didit.url))
  const send = client(t)
  const started = Date.now()
  const response = await send(`${sidecar.url}/v3/session/s-1/decision/`)
  const elapsed = Date.now() - started
  t.equal(response.status, 200)
  t.same(JSON.parse(response.body.toString()), { status: 'Approved' })
  t.equal(response.headers['x-sidecar-attempts'], '2')
  t.equal(didit.count({ method: 'GET' }), 2)
  t.ok(elapsed >= PER_TRY_MS - 5, `the first attempt was given its ${PER_TRY_MS} ms (took ${elapsed} ms)`)
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('upstream_attempts_total'), { route: 'default', result: 'timeout' }), 1)
  t.equal(sample(metrics, metric('upstream_attempts_total'), { route: 'default', result: '200' }), 1)
  t.equal(sample(metrics, metric('retries_total'), { route: 'default', reason: 'timeout' }), 1)
})

t.test('GET: a slow head (delayMs above perTryTimeout) counts as a timeout too', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/sessions/' }, [
    { delayMs: PER_TRY_MS * 5, status: 200 },
    { status: 200, body: 'second' }
  ])
  const sidecar = await startSidecar(t, config(didit.url))
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/sessions/`)
  t.equal(response.status, 200)
  t.equal(response.body.toString(), 'second')
  t.equal(response.headers['x-sidecar-attempts'], '2')
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('upstream_attempts_total'), { result: 'timeout' }), 1)
})

t.test('POST with idempotent: null times out → not retried, 504 upstream_timeout', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/aml/' }, [{ action: 'hang' }, { status: 200, body: 'must not be reached' }])
  const sidecar = await startSidecar(t, config(didit.url))
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/aml/`, { method: 'POST', body: '{"full_name":"A"}' })
  assertProblem(t, response, 504, 'upstream_timeout')
  t.equal(response.headers['x-sidecar-attempts'], '1')
  t.equal(didit.count(), 1, 'one attempt upstream')
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('upstream_attempts_total'), { route: 'default', result: 'timeout' }), 1)
  t.equal(sample(metrics, metric('retries_total')), 0)
  t.equal(sample(metrics, metric('requests_total'), { method: 'POST', code: '504', outcome: 'not_retryable' }), 1)
})
