// A request whose body is streamed (over the route's maxBufferedBody) cannot be fingerprinted
// before it is sent, so even with a client key it bypasses the store: both copies go upstream.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, metric, metricsAfter, replayed, STORE_TYPES, startUpstream, useStore } from './harness.js'

const DECISION_SERIES = new RegExp(`^${metric('idempotency_total')}\\{`, 'm')

for (const type of STORE_TYPES) {
  t.test(`${type}: a streamed body with a client key → forwarded every time, the store untouched`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: '/v3/id-verification/' }, { status: 200, body: { ok: true } }, { repeat: true })
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      idempotency: { store: store.config },
      retry: { backoff: FAST_BACKOFF, maxBufferedBody: '1KiB' }
    })
    const send = client(t)
    const body = randomBytes(4096)
    const upload = () =>
      send(`${sidecar.url}/v3/id-verification/`, {
        method: 'POST',
        headers: { 'idempotency-key': 'streamed-key', 'content-type': 'application/octet-stream' },
        body
      })

    const first = await upload()
    await metricsAfter(sidecar, 1)
    const second = await upload()
    t.equal(first.status, 200)
    t.equal(second.status, 200)
    t.notOk(replayed(second), 'not a replay')
    t.equal(didit.count(), 2, 'both copies went upstream')
    t.ok(
      didit.requests.every((request) => request.body.equals(body)),
      'each with the whole body'
    )
    t.same(
      didit.requests.map((request) => request.headers['idempotency-key']),
      ['streamed-key', 'streamed-key'],
      "the client's key still goes upstream"
    )
    const metrics = await metricsAfter(sidecar, 2)
    t.notMatch(metrics, DECISION_SERIES, 'no idempotency_total series')
    t.equal((await store.dump()).size, 0, 'nothing written to the store')
  })
}
