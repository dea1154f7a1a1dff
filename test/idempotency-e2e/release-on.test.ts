// Per-route release (issue 7, item 6): Didit documents database-validation's 502 as safe to retry
// and not billed, so that route releases the key on 502 (as the shipped config does) and the
// client's retry under the same key reaches Didit again. The default route keeps storing a 502
// (it may have been processed) and replays it.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, idempotencyCount, metricsAfter, post, replayed, startUpstream } from './harness.js'

const DB = '/v3/database-validation/'
const AML = '/v3/aml/'
const BODY = '{"id_number":"X1"}'

t.test('a route releasing 502: the retry goes through; the default route stores the 502', async (t) => {
  const didit = await startUpstream(t)
  for (const path of [DB, AML]) {
    didit.script({ path }, [
      { status: 502, body: { detail: 'upstream provider unavailable' } },
      { status: 200, body: { request_id: `${path}-ok` } }
    ])
  }
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    retry: { backoff: FAST_BACKOFF },
    routes: [
      {
        name: 'database-validation',
        method: 'POST',
        path: DB,
        idempotency: { releaseOn: [429, 502, 503] }
      }
    ]
  })
  t.same(sidecar.config.routes[0]?.idempotency.releaseOn, [429, 502, 503])
  const send = client(t)

  const failed = await send(`${sidecar.url}${DB}`, post('db-key', BODY))
  t.equal(failed.status, 502, "Didit's 502 reaches the client")
  t.equal(failed.headers['x-sidecar-attempts'], '1', 'a POST 502 is not retried by the sidecar')
  await metricsAfter(sidecar, 1)
  const retried = await send(`${sidecar.url}${DB}`, post('db-key', BODY))
  t.equal(retried.status, 200, 'the key was released: the retry reached Didit')
  t.notOk(replayed(retried))
  t.equal(didit.count({ path: DB }), 2)
  await metricsAfter(sidecar, 2)
  const third = await send(`${sidecar.url}${DB}`, post('db-key', BODY))
  t.ok(replayed(third) && third.status === 200, 'the 200 is stored and replayed')
  t.equal(didit.count({ path: DB }), 2)

  const stored = await send(`${sidecar.url}${AML}`, post('aml-key', BODY))
  t.equal(stored.status, 502)
  await metricsAfter(sidecar, 4)
  const replay = await send(`${sidecar.url}${AML}`, post('aml-key', BODY))
  t.equal(replay.status, 502, 'the default route stores the 502')
  t.ok(replayed(replay), 'and replays it')
  t.equal(didit.count({ path: AML }), 1, 'upstream called once on the default route')

  const metrics = await metricsAfter(sidecar, 5)
  t.equal(idempotencyCount(metrics, 'new', 'database-validation'), 2, 'two first uses: the released key was new again')
  t.equal(idempotencyCount(metrics, 'replayed', 'database-validation'), 1)
  t.equal(idempotencyCount(metrics, 'replayed', 'default'), 1)
})

t.test('idempotency.releaseOn replaces the default globally; a route inherits it', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: AML }, [{ status: 503 }, { status: 504 }, { status: 200, body: { ok: true } }])
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    idempotency: { releaseOn: [504] },
    retry: { backoff: FAST_BACKOFF, on: ['connect-failure'] },
    routes: [{ name: 'aml', method: 'POST', path: AML }]
  })
  t.same(sidecar.config.routes[0]?.idempotency.releaseOn, [504], 'the route inherits the global list')
  const send = client(t)
  t.equal((await send(`${sidecar.url}${AML}`, post('k-503', BODY))).status, 503)
  await metricsAfter(sidecar, 1)
  const again503 = await send(`${sidecar.url}${AML}`, post('k-503', BODY))
  t.ok(replayed(again503) && again503.status === 503, '503 not in the list: stored')
  t.equal((await send(`${sidecar.url}${AML}`, post('k-504', BODY))).status, 504)
  await metricsAfter(sidecar, 3)
  t.equal((await send(`${sidecar.url}${AML}`, post('k-504', BODY))).status, 200, '504 in the list: released')
  t.equal(didit.count(), 3)
})
