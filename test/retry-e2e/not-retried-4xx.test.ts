// 4xx answers other than 429 say the request itself is wrong: repeating it cannot help. They get
// exactly one attempt, for GET and POST alike, and reach the client unchanged.
import t from 'tap'
import { client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, metric, metricsAfter, startUpstream } from './harness.js'

const STATUSES = [400, 401, 403, 404, 409, 422]
const METHODS = ['GET', 'POST']

t.test('400, 401, 403, 404, 409 and 422 → one attempt, passed through unchanged', async (t) => {
  const didit = await startUpstream(t)
  // idempotent: true and every retryable condition listed: still no retry for these.
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    retry: { maxAttempts: 5, backoff: FAST_BACKOFF, idempotent: true }
  })
  const send = client(t)
  for (const method of METHODS) {
    for (const status of STATUSES) {
      const body = JSON.stringify({ detail: `refused with ${status}`, method })
      didit.script(
        { path: '/v3/thing/' },
        { status, headers: { 'content-type': 'application/json', 'x-didit-error': `e${status}` }, body }
      )
      const before = didit.count()
      const response = await send(`${sidecar.url}/v3/thing/`, {
        method,
        ...(method === 'POST' ? { body: '{"a":1}' } : {})
      })
      const what = `${method} ${status}`
      t.equal(didit.count() - before, 1, `${what}: exactly one attempt`)
      t.equal(response.status, status, `${what}: status unchanged`)
      t.equal(response.body.toString(), body, `${what}: body unchanged`)
      t.equal(response.headers['x-didit-error'], `e${status}`, `${what}: headers unchanged`)
      t.equal(response.headers['content-type'], 'application/json', `${what}: content type unchanged`)
      t.equal(response.headers['x-sidecar-attempts'], '1', `${what}: X-Sidecar-Attempts 1`)
    }
  }
  const requests = METHODS.length * STATUSES.length
  const metrics = await metricsAfter(sidecar, requests)
  t.equal(sample(metrics, metric('retries_total')), 0, 'no retry')
  t.equal(sample(metrics, metric('retries_skipped_total')), 0, 'not a skipped retry either')
  t.equal(sample(metrics, metric('requests_total'), { outcome: 'completed' }), requests, 'all completed')
})
