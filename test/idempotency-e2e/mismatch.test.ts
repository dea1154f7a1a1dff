// Mismatch (issue 4, behaviour 4): the same key with another request fingerprint (here: another
// body) → 422 problem+json, nothing forwarded, even while the original is in flight (IETF draft).
// The path is part of the key's scope, so the same key on another path is simply another request.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import {
  assertProblem,
  FAST_BACKOFF,
  idempotencyCount,
  metricsAfter,
  post,
  replayed,
  STORE_TYPES,
  startUpstream,
  tracked,
  until,
  useStore
} from './harness.js'

for (const type of STORE_TYPES) {
  t.test(`${type}: same key, other body → 422, upstream not called; other path → forwarded`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: '/v3/aml/' }, { status: 200, body: { request_id: 'aml-1' } }, { repeat: true })
    didit.script({ path: '/v3/face-match/' }, { status: 200, body: { request_id: 'face-1' } }, { repeat: true })
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      idempotency: { store: store.config },
      retry: { backoff: FAST_BACKOFF }
    })
    const send = client(t)

    const first = await send(`${sidecar.url}/v3/aml/`, post('mismatch-key', '{"full_name":"A"}'))
    t.equal(first.status, 200)
    await metricsAfter(sidecar, 1)

    const other = await send(`${sidecar.url}/v3/aml/`, post('mismatch-key', '{"full_name":"B"}'))
    assertProblem(t, other, 422, 'idempotency_mismatch')
    t.notOk(replayed(other), 'not a replay')
    t.equal(didit.count(), 1, 'upstream not called again')

    const elsewhere = await send(`${sidecar.url}/v3/face-match/`, post('mismatch-key', '{"full_name":"A"}'))
    t.equal(elsewhere.status, 200, 'another path with the same key is forwarded, not 422')
    t.same(JSON.parse(elsewhere.body.toString()), { request_id: 'face-1' }, "that path's own answer")
    t.notOk(replayed(elsewhere))
    t.equal(didit.count({ path: '/v3/face-match/' }), 1)

    const same = await send(`${sidecar.url}/v3/aml/`, post('mismatch-key', '{"full_name":"A"}'))
    t.ok(replayed(same), 'the original request still replays after a mismatch')
    t.same(same.body, first.body)
    t.equal(didit.count(), 2, 'one call per path in all')

    const metrics = await metricsAfter(sidecar, 4)
    t.equal(idempotencyCount(metrics, 'mismatch'), 1, 'one mismatch counted')
    t.equal(idempotencyCount(metrics, 'new'), 2, 'one new per path')
    t.equal(idempotencyCount(metrics, 'replayed'), 1)
  })

  t.test(`${type}: a mismatch while the original is in flight → 422 at once`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: '/v3/aml/' }, { status: 200, delayMs: 1000, body: { request_id: 'aml-2' } })
    didit.script({ path: '/v3/aml/' }, { status: 500, body: { detail: 'a second upstream call' } }, { repeat: true })
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      // `wait` with a long waitTimeout: a mismatch must not wait for the original.
      idempotency: { store: store.config, concurrent: 'wait', waitTimeout: '10s' },
      retry: { backoff: FAST_BACKOFF }
    })
    const send = client(t)

    const original = tracked(send(`${sidecar.url}/v3/aml/`, post('inflight-key', '{"full_name":"A"}')))
    await until(() => didit.count() === 1, 'the original upstream')
    const other = await send(`${sidecar.url}/v3/aml/`, post('inflight-key', '{"full_name":"B"}'))
    t.notOk(original.done(), 'answered while the original is still in flight')
    assertProblem(t, other, 422, 'idempotency_mismatch')

    t.equal((await original.promise).status, 200, 'the original is not disturbed')
    t.equal(didit.count(), 1, 'upstream saw only the original')
    const metrics = await metricsAfter(sidecar, 2)
    t.equal(idempotencyCount(metrics, 'mismatch'), 1)
    t.equal(idempotencyCount(metrics, 'conflict'), 0)
  })
}
