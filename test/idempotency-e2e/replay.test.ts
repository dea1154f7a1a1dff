// Replay (issue 4, behaviour 2): a client's key used again with the same request after the first
// has completed gets the stored answer byte for byte, marked Idempotent-Replayed, and upstream sees
// nothing more. Counted as result=new, then result=replayed. After `ttl` the answer is gone.
// (Which headers a replay carries: replay-headers.test.ts.)
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import {
  FAST_BACKOFF,
  idempotencyCount,
  metric,
  metricsAfter,
  post,
  replayed,
  STORE_TYPES,
  startUpstream,
  useStore
} from './harness.js'

const ROUTES = [{ name: 'aml', method: 'POST', path: '/v3/aml/' }]
// Multi-byte UTF-8 and a trailing newline: a replay must hand back these very bytes, not re-encoded JSON.
const ANSWER = Buffer.from('{"request_id":"r-1","name":"Zoë Ångström 🚀","score":0.10}\n')
const HEADERS = {
  'content-type': 'application/vnd.didit+json; charset=utf-8',
  'x-didit-trace': 'trace-1',
  'set-cookie': ['a=1', 'b=2']
}

for (const type of STORE_TYPES) {
  t.test(`${type}: the same key and body again → the stored answer byte for byte, upstream called once`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script(
      { method: 'POST', path: '/v3/aml/' },
      { status: 201, headers: HEADERS, body: ANSWER },
      { repeat: true }
    )
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      idempotency: { store: store.config },
      retry: { backoff: FAST_BACKOFF },
      routes: ROUTES
    })
    const send = client(t)
    const request = post('replay-key-1', '{"full_name":"A"}')

    const first = await send(`${sidecar.url}/v3/aml/`, request)
    t.equal(first.status, 201)
    t.same(first.body, ANSWER)
    t.notOk('idempotent-replayed' in first.headers, 'the original is not marked')
    t.equal(first.headers['x-sidecar-attempts'], '1')
    await metricsAfter(sidecar, 1)

    for (const n of [2, 3]) {
      const again = await send(`${sidecar.url}/v3/aml/`, request)
      t.equal(again.status, 201, `#${n}: the stored status`)
      t.equal(Buffer.compare(again.body, ANSWER), 0, `#${n}: the stored body, byte for byte`)
      t.equal(again.headers['content-type'], HEADERS['content-type'], `#${n}: the stored content-type`)
      t.equal(again.headers['content-length'], String(ANSWER.length), `#${n}: the stored length`)
      t.notOk('x-didit-trace' in again.headers, `#${n}: per-response upstream headers are not replayed`)
      t.notOk('set-cookie' in again.headers, `#${n}: nor cookies`)
      t.ok(replayed(again), `#${n}: Idempotent-Replayed: true`)
      t.equal(again.headers['x-sidecar-attempts'], '0', `#${n}: no attempt made`)
      t.equal(again.headers['idempotency-key'], 'replay-key-1', `#${n}: the key echoed`)
    }
    t.equal(didit.count(), 1, 'upstream saw one request')

    const metrics = await metricsAfter(sidecar, 3)
    t.equal(idempotencyCount(metrics, 'new', 'aml'), 1, 'result=new once')
    t.equal(idempotencyCount(metrics, 'replayed', 'aml'), 2, 'result=replayed twice')
    for (const result of ['coalesced', 'conflict', 'mismatch', 'store_error']) {
      t.equal(idempotencyCount(metrics, result), 0, `no ${result}`)
    }
    if (type === 'redis') {
      const keys = [...(await store.dump()).keys()]
      t.equal(keys.length, 1, 'one entry in Redis')
      t.ok(keys[0]?.startsWith(String(store.config.keyPrefix)), 'under the configured key prefix')
    }
  })
}

for (const type of STORE_TYPES) {
  t.test(`${type}: after ttl the stored answer is gone and the key is a first use again`, async (t) => {
    const store = await useStore(t, type, { ttl: '600ms' })
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: '/v3/aml/' }, [
      { status: 200, body: { request_id: 'r-1' } },
      { status: 200, body: { request_id: 'r-2' } }
    ])
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      idempotency: { store: store.config },
      retry: { backoff: FAST_BACKOFF }
    })
    const send = client(t)
    const request = post('ttl-key', '{"full_name":"A"}')

    await send(`${sidecar.url}/v3/aml/`, request)
    const stored = performance.now()
    t.ok(replayed(await send(`${sidecar.url}/v3/aml/`, request)), 'replayed within ttl')
    await sleep(Math.max(0, stored + 800 - performance.now()))
    const later = await send(`${sidecar.url}/v3/aml/`, request)
    t.notOk(replayed(later), 'after ttl: not a replay')
    t.same(JSON.parse(later.body.toString()), { request_id: 'r-2' }, "upstream's new answer")
    t.equal(didit.count(), 2)
    const metrics = await metricsAfter(sidecar, 3)
    t.equal(
      sample(metrics, metric('requests_total'), { outcome: 'replayed' }),
      1,
      'the replay counted as outcome=replayed'
    )
    t.equal(idempotencyCount(metrics, 'new'), 2)
  })
}
