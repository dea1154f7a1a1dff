// A reset after the request was sent is ambiguous: the upstream may have processed it. A POST is
// then not retried (502 upstream_reset) unless its route says idempotent: true; a GET is retried.
import t from 'tap'
import { client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { assertProblem, FAST_BACKOFF, metric, metricsAfter, startUpstream } from './harness.js'

const config = (url: string) => ({
  upstream: { url },
  retry: { maxAttempts: 3, backoff: FAST_BACKOFF },
  routes: [{ name: 'otp-send', method: 'POST', path: '/v3/email/send/', retry: { idempotent: true } }]
})

t.test('POST reset after send → not retried, 502 upstream_reset', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/aml/' }, { action: 'reset' }, { repeat: true })
  const sidecar = await startSidecar(t, config(didit.url))
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/aml/`, { method: 'POST', body: '{"full_name":"A"}' })
  assertProblem(t, response, 502, 'upstream_reset')
  t.equal(response.headers['x-sidecar-attempts'], '1')
  t.equal(didit.count(), 1, 'one attempt upstream')
  t.equal(didit.requests[0]?.body.toString(), '{"full_name":"A"}', 'the request had been sent in full')
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('upstream_attempts_total'), { route: 'default', result: 'reset' }), 1)
  t.equal(sample(metrics, metric('retries_total')), 0)
  t.equal(sample(metrics, metric('requests_total'), { code: '502', outcome: 'not_retryable' }), 1)
})

t.test('POST reset after send on a route with idempotent: true → retried', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/email/send/' }, [{ action: 'reset' }, { action: 'reset' }, { status: 200, body: 'sent' }])
  const sidecar = await startSidecar(t, config(didit.url))
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/email/send/`, { method: 'POST', body: '{"email":"a@b.c"}' })
  t.equal(response.status, 200)
  t.equal(response.body.toString(), 'sent')
  t.equal(response.headers['x-sidecar-attempts'], '3')
  t.equal(didit.count({ method: 'POST', path: '/v3/email/send/' }), 3)
  const key = response.headers['idempotency-key']
  t.ok(
    didit.requests.every((r) => r.headers['idempotency-key'] === key && r.body.toString() === '{"email":"a@b.c"}'),
    'same key and body on every attempt'
  )
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('upstream_attempts_total'), { route: 'otp-send', result: 'reset' }), 2)
  t.equal(sample(metrics, metric('retries_total'), { route: 'otp-send', reason: 'reset' }), 2)
})

t.test('GET reset → retried', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/session/s-1/decision/' }, [
    { action: 'reset' },
    { status: 200, body: { status: 'Approved' } }
  ])
  const sidecar = await startSidecar(t, config(didit.url))
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/session/s-1/decision/`)
  t.equal(response.status, 200)
  t.same(JSON.parse(response.body.toString()), { status: 'Approved' })
  t.equal(response.headers['x-sidecar-attempts'], '2')
  t.equal(didit.count({ method: 'GET' }), 2)
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('retries_total'), { route: 'default', reason: 'reset' }), 1)
})

t.test('GET reset on every attempt → 502 upstream_reset after maxAttempts', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/sessions/' }, { action: 'reset' }, { repeat: true })
  const sidecar = await startSidecar(t, config(didit.url))
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/sessions/`)
  assertProblem(t, response, 502, 'upstream_reset')
  t.equal(response.headers['x-sidecar-attempts'], '3')
  t.equal(didit.count(), 3)
})
