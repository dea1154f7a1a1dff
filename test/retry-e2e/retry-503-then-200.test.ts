// A POST answered 503, 503, 200: the client gets the 200 after 3 attempts, every attempt carries the
// same generated Idempotency-Key and the same body bytes, and the counters say exactly that.
import { createHash, randomBytes } from 'node:crypto'
import t from 'tap'
import { client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, metric, metricsAfter, startUpstream, UUID_V4 } from './harness.js'

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

t.test('503, 503, 200 → 200 after 3 identical attempts, counted exactly', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ method: 'POST', path: '/v3/session/' }, [
    { status: 503, body: { detail: 'busy' } },
    { status: 503, body: { detail: 'busy' } },
    { status: 201, body: { session_id: 's-1' } }
  ])
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    retry: { maxAttempts: 4, backoff: FAST_BACKOFF },
    routes: [{ name: 'session-create', method: 'POST', path: '/v3/session/' }]
  })
  const send = client(t)
  const body = Buffer.concat([Buffer.from('{"workflow_id":"w","blob":"'), randomBytes(4096), Buffer.from('"}')])

  const response = await send(`${sidecar.url}/v3/session/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body
  })

  t.equal(response.status, 201)
  t.same(JSON.parse(response.body.toString()), { session_id: 's-1' }, 'the final answer, unchanged')
  t.equal(response.headers['x-sidecar-attempts'], '3')
  const key = response.headers['idempotency-key']
  t.match(key, UUID_V4, 'a generated UUIDv4 key is returned to the client')

  t.equal(didit.count({ method: 'POST', path: '/v3/session/' }), 3, 'exactly 3 POSTs upstream')
  t.same(
    didit.requests.map((r) => r.headers['idempotency-key']),
    [key, key, key],
    'the same key on every attempt'
  )
  t.same(
    didit.requests.map((r) => r.sha256),
    [sha256(body), sha256(body), sha256(body)],
    'the same body bytes on every attempt'
  )

  const metrics = await metricsAfter(sidecar, 1)
  const route = 'session-create'
  t.equal(sample(metrics, metric('requests_total')), 1, 'one request')
  t.equal(
    sample(metrics, metric('requests_total'), { route, method: 'POST', code: '201', outcome: 'completed' }),
    1,
    'counted as completed with the final code'
  )
  t.equal(sample(metrics, metric('upstream_attempts_total'), { route }), 3)
  t.equal(sample(metrics, metric('upstream_attempts_total'), { route, result: '503' }), 2)
  t.equal(sample(metrics, metric('upstream_attempts_total'), { route, result: '201' }), 1)
  t.equal(sample(metrics, metric('retries_total'), { route }), 2)
  t.equal(sample(metrics, metric('retries_total'), { route, reason: '503' }), 2)
  t.equal(sample(metrics, metric('idempotency_keys_total'), { route, source: 'generated' }), 1)
  t.equal(sample(metrics, metric('idempotency_keys_total'), { route, source: 'client' }), 0)
  t.equal(sample(metrics, metric('retry_budget_exhausted_total')), 0, 'no budget refusal anywhere')
  t.equal(sample(metrics, metric('retries_skipped_total')), 0)
  t.equal(
    sample(metrics, `${metric('upstream_attempt_duration_seconds')}_count`, { route }),
    3,
    'one duration per attempt'
  )
  t.equal(sample(metrics, `${metric('request_duration_seconds')}_count`, { route, outcome: 'completed' }), 1)
})
