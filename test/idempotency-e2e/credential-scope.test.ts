// Every credential scopes (issue 11, item 1): Didit accepts x-api-key, Authorization,
// Session-Token and X-Transaction-Token, so each of them, with its value, separates one caller's
// keys from another's: the same key under another value is another request, never a replay or 422.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, idempotencyCount, metricsAfter, replayed, startUpstream } from './harness.js'

const PATH = '/v3/session/'

t.test('Authorization, Session-Token and X-Transaction-Token each scope the key', async (t) => {
  const didit = await startUpstream(t)
  let served = 0
  didit.script(
    { path: PATH },
    Array.from({ length: 8 }, () => ({ status: 200, body: { session_id: `s-${++served}` } }))
  )
  const sidecar = await startSidecar(t, { upstream: { url: didit.url, apiKey: '' }, retry: { backoff: FAST_BACKOFF } })
  const send = client(t)
  const as = (credentials: Record<string, string>, body = '{"vendor_data":"v"}') =>
    send(`${sidecar.url}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'shared-key', ...credentials },
      body
    })
  const idOf = (response: { body: Buffer }) =>
    (JSON.parse(response.body.toString()) as { session_id: string }).session_id

  const callers: Array<[string, Record<string, string>]> = [
    ['authorization a', { authorization: 'Bearer a' }],
    ['authorization b', { authorization: 'Bearer b' }],
    ['session-token', { 'session-token': 'st-1' }],
    ['another session-token', { 'session-token': 'st-2' }],
    ['x-transaction-token', { 'x-transaction-token': 'tx-1' }],
    ['authorization a and a session-token', { authorization: 'Bearer a', 'session-token': 'st-1' }]
  ]
  const first = new Map<string, string>()
  for (const [who, credentials] of callers) {
    // Another body under the same key: a shared scope would answer 422.
    const response = await as(credentials, `{"vendor_data":"${who}"}`)
    t.equal(response.status, 200, `${who}: forwarded`)
    t.notOk(replayed(response), `${who}: not a replay`)
    first.set(who, idOf(response))
  }
  t.equal(new Set(first.values()).size, callers.length, 'each caller got its own answer')
  t.equal(didit.count(), callers.length)
  await metricsAfter(sidecar, callers.length)

  for (const [who, credentials] of callers) {
    const again = await as(credentials, `{"vendor_data":"${who}"}`)
    t.ok(replayed(again), `${who}: the repeat is a replay`)
    t.equal(idOf(again), first.get(who), `${who}: of its own answer`)
  }
  t.equal(didit.count(), callers.length, 'no more upstream calls')
  const metrics = await metricsAfter(sidecar, 2 * callers.length)
  t.equal(idempotencyCount(metrics, 'new'), callers.length)
  t.equal(idempotencyCount(metrics, 'replayed'), callers.length)
  t.equal(idempotencyCount(metrics, 'mismatch') + idempotencyCount(metrics, 'unscoped'), 0)
})
