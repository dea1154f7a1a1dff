// Issue 8, Tests: idempotency first. A replayed duplicate, and a duplicate coalesced with its
// in-flight original, are answered without reaching Didit, so they take no rate-limit slot.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startUpstream } from '../helpers/e2e.js'
import { startSidecar } from '../helpers/sidecar.js'
import { assertProblem, PATH, post, rateLimitCount, writes } from './harness.js'

t.test('replayed and coalesced duplicates use no slot', async (t) => {
  const didit = await startUpstream(t)
  didit.script(
    { method: 'POST', path: PATH },
    { status: 200, delayMs: 200, body: { request_id: 'r' } },
    { repeat: true }
  )
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    idempotency: { concurrent: 'wait' },
    rateLimit: { maxWait: 0, limits: writes(2, '60s') }
  })
  const send = client(t)
  // A credential: without one, keyed requests are never deduplicated (issue 11).
  const keyed = (key: string, n: number) =>
    send(`${sidecar.url}${PATH}`, post(n, { 'idempotency-key': key, 'x-api-key': 'tenant-a' }))

  // The original and a duplicate at once: the duplicate waits for the original's answer.
  const [original, coalesced] = await Promise.all([keyed('k-1', 1), keyed('k-1', 1)])
  t.same([original.status, coalesced.status], [200, 200])
  const replayed = await keyed('k-1', 1)
  t.equal(replayed.status, 200)
  t.equal(replayed.headers['idempotent-replayed'], 'true', 'answered from the store')
  t.equal(didit.requests.length, 1, 'one call reached Didit')

  t.equal((await keyed('k-2', 2)).status, 200, 'the second slot is still free')
  assertProblem(t, await keyed('k-3', 3), 429, 'rate_limited', 'the third new request')
  t.equal(rateLimitCount([await sidecar.metrics()], { result: 'admitted' }), 2, 'two slots: the two originals')
})
