// A refused connection never reached the upstream, so it is safe to retry for every method,
// POST included: maxAttempts attempts, then 502 upstream_unreachable.
import t from 'tap'
import { client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { assertProblem, FAST_BACKOFF, metric, metricsAfter, refusingUrl } from './harness.js'

t.test('connection refused → POST retried maxAttempts times, then 502 upstream_unreachable', async (t) => {
  const maxAttempts = 3
  const sidecar = await startSidecar(t, {
    upstream: { url: await refusingUrl() },
    retry: { maxAttempts, backoff: FAST_BACKOFF }
  })
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/aml/`, { method: 'POST', body: '{"full_name":"A"}' })
  assertProblem(t, response, 502, 'upstream_unreachable')
  t.equal(response.headers['x-sidecar-attempts'], String(maxAttempts))

  const metrics = await metricsAfter(sidecar, 1)
  t.equal(
    sample(metrics, metric('upstream_attempts_total'), { route: 'default', result: 'connect-failure' }),
    maxAttempts
  )
  t.equal(sample(metrics, metric('upstream_attempts_total')), maxAttempts, 'no other attempt')
  t.equal(sample(metrics, metric('retries_total'), { route: 'default', reason: 'connect-failure' }), maxAttempts - 1)
  t.equal(sample(metrics, metric('requests_total'), { method: 'POST', code: '502', outcome: 'exhausted' }), 1)
})

t.test('connect-failure not listed in `on` → one attempt only', async (t) => {
  const sidecar = await startSidecar(t, {
    upstream: { url: await refusingUrl() },
    retry: { maxAttempts: 3, backoff: FAST_BACKOFF, on: [503] }
  })
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/sessions/`)
  assertProblem(t, response, 502, 'upstream_unreachable')
  t.equal(response.headers['x-sidecar-attempts'], '1')
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('upstream_attempts_total'), { result: 'connect-failure' }), 1)
})
