// One retry layer: an upstream that always answers 503 sees exactly maxAttempts attempts, whatever
// the method. A hidden second layer (e.g. @fastify/reply-from retrying GETs on 503 up to ten times)
// would multiply them. The client then gets the last 503 as the upstream sent it.
import t from 'tap'
import { client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, metric, metricsAfter, startUpstream } from './harness.js'

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const

t.test('always 503 with maxAttempts 3 → exactly 3 attempts for GET, POST, PUT and DELETE', async (t) => {
  const didit = await startUpstream(t)
  const unavailable = {
    status: 503,
    // Retry-After: 0 asks for no extra wait; a layer reading it as milliseconds would not show here.
    headers: { 'x-didit-trace': 'down-1', 'retry-after': '0', 'content-type': 'application/json' },
    body: JSON.stringify({ detail: 'Service temporarily unavailable' })
  }
  didit.script({ path: '/v3/things/1/' }, unavailable, { repeat: true })
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    retry: { maxAttempts: 3, backoff: FAST_BACKOFF }
  })
  const send = client(t)

  for (const method of METHODS) {
    const before = didit.requests.length
    const response = await send(`${sidecar.url}/v3/things/1/`, {
      method,
      ...(method === 'GET' || method === 'DELETE' ? {} : { body: `{"method":"${method}"}` })
    })
    const attempts = didit.requests.slice(before)
    t.equal(attempts.length, 3, `${method}: exactly 3 attempts upstream`)
    t.ok(
      attempts.every((r) => r.method === method),
      `${method}: every attempt is a ${method}`
    )
    t.equal(response.status, 503, `${method}: the last 503`)
    t.equal(response.headers['x-sidecar-attempts'], '3', `${method}: X-Sidecar-Attempts 3`)
    t.equal(response.body.toString(), unavailable.body, `${method}: body unchanged`)
    t.equal(response.headers['x-didit-trace'], 'down-1', `${method}: upstream header kept`)
    t.equal(response.headers['retry-after'], '0', `${method}: Retry-After kept`)
    t.equal(response.headers['content-type'], 'application/json', `${method}: content type unchanged`)
  }

  const metrics = await metricsAfter(sidecar, METHODS.length)
  t.equal(sample(metrics, metric('upstream_attempts_total'), { route: 'default', result: '503' }), 12)
  t.equal(sample(metrics, metric('retries_total'), { route: 'default', reason: '503' }), 8)
  for (const method of METHODS) {
    t.equal(
      sample(metrics, metric('requests_total'), { method, code: '503', outcome: 'exhausted' }),
      1,
      `${method}: counted as exhausted`
    )
  }
})
