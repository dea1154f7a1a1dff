// Requests that never touch the store: a POST without a key gets a fresh generated one (which can
// never repeat, so there is nothing to look up), and methods outside idempotency.methods are not
// deduplicated even when they carry a key header.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, metric, metricsAfter, post, replayed, STORE_TYPES, startUpstream, useStore } from './harness.js'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
/** Any sample of the idempotency decision counter, whatever its labels. */
const DECISION_SERIES = new RegExp(`^${metric('idempotency_total')}\\{`, 'm')

for (const type of STORE_TYPES) {
  t.test(`${type}: two identical POSTs without a key → two upstream calls, the store untouched`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: '/v3/aml/' }, { status: 200, body: { ok: true } }, { repeat: true })
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      idempotency: { store: store.config, methods: ['POST'] },
      retry: { backoff: FAST_BACKOFF }
    })
    const send = client(t)

    const answers = [
      await send(`${sidecar.url}/v3/aml/`, post(undefined, '{"full_name":"A"}')),
      await send(`${sidecar.url}/v3/aml/`, post(undefined, '{"full_name":"A"}'))
    ]
    t.same(
      answers.map((answer) => [answer.status, replayed(answer)]),
      [
        [200, false],
        [200, false]
      ],
      'both answered by upstream'
    )
    t.equal(didit.count(), 2, 'two upstream calls')
    const keys = didit.requests.map((request) => String(request.headers['idempotency-key']))
    t.match(keys[0], UUID_V4, 'a generated key upstream')
    t.not(keys[0], keys[1], 'a fresh key each time')
    t.same(
      answers.map((answer) => answer.headers['idempotency-key']),
      keys,
      'each echoed to its client'
    )

    const metrics = await metricsAfter(sidecar, 2)
    t.notMatch(metrics, DECISION_SERIES, 'no idempotency_total series: the store was never asked')
    t.match(metrics, new RegExp(`^${metric('idempotency_keys_total')}\\{[^}]*source="generated"[^}]*\\} 2$`, 'm'))
    t.equal((await store.dump()).size, 0, 'nothing written to the store')
  })

  t.test(`${type}: GET with a key header (methods: [POST]) → not deduplicated`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: '/v3/sessions/' }, [
      { status: 200, body: { page: 1 } },
      { status: 200, body: { page: 2 } }
    ])
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      idempotency: { store: store.config, methods: ['POST'] },
      retry: { backoff: FAST_BACKOFF }
    })
    const send = client(t)

    const get = () => send(`${sidecar.url}/v3/sessions/`, { headers: { 'idempotency-key': 'get-key' } })
    const first = await get()
    const second = await get()
    t.same(JSON.parse(first.body.toString()), { page: 1 })
    t.same(JSON.parse(second.body.toString()), { page: 2 }, "upstream's fresh answer, not a replay")
    t.notOk(replayed(second))
    t.equal(didit.count(), 2, 'both went upstream')

    const metrics = await metricsAfter(sidecar, 2)
    t.notMatch(metrics, DECISION_SERIES, 'no idempotency_total series')
    t.equal((await store.dump()).size, 0, 'nothing written to the store')
  })
}
