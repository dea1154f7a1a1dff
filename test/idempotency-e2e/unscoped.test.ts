// No credentials, no scope (issue 11, item 1): with no upstream.apiKey injected, a request that
// carries none of Didit's credentials cannot be told apart from anyone else's. It is never
// answered from the store nor told that a key exists (no replay, no 422, no 409): it is forwarded
// without deduplication and counted as result=unscoped.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import {
  FAST_BACKOFF,
  idempotencyCount,
  metricsAfter,
  replayed,
  STORE_TYPES,
  startUpstream,
  useStore
} from './harness.js'

const PATH = '/v3/session/'
const BODY = '{"workflow_id":"w-1","vendor_data":"order-1001"}'

function request(body: string, credentials: Record<string, string>) {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'order-1001', ...credentials },
    body
  }
}

for (const type of STORE_TYPES) {
  t.test(`${type}: a caller without credentials never meets a tenant's stored answer`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: PATH }, [
      { status: 200, headers: { 'set-cookie': 'tenant-a=1' }, body: { session_id: 'for-a' } },
      { status: 200, body: { session_id: 'anonymous-1' } },
      { status: 200, body: { session_id: 'anonymous-2' } },
      { status: 200, body: { session_id: 'anonymous-3' } }
    ])
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url, apiKey: '' },
      idempotency: { store: store.config },
      retry: { backoff: FAST_BACKOFF }
    })
    const send = client(t)
    const url = `${sidecar.url}${PATH}`
    const tenantA = { authorization: 'Bearer tenant-a-token' }

    const a = await send(url, request(BODY, tenantA))
    t.equal(a.status, 200)
    await metricsAfter(sidecar, 1)
    t.ok(replayed(await send(url, request(BODY, tenantA))), "tenant A's answer is stored")

    const same = await send(url, request(BODY, {}))
    t.equal(same.status, 200)
    t.notOk(replayed(same), 'the same request without credentials is not a replay')
    t.same(JSON.parse(same.body.toString()), { session_id: 'anonymous-1' }, "Didit's own answer, not A's")
    t.notOk('set-cookie' in same.headers, "nor A's cookie")

    const other = await send(url, request('{"workflow_id":"w-2"}', {}))
    t.equal(other.status, 200, 'another body is not 422: nothing tells that the key exists')
    t.notOk(replayed(other))

    const empty = await send(url, request(BODY, { authorization: '', 'x-api-key': '' }))
    t.equal(empty.status, 200, 'empty credentials are none')
    t.notOk(replayed(empty))
    t.equal(didit.count(), 4, 'every request without credentials was forwarded')
    t.same(
      didit.requests.slice(1).map((r) => r.headers['idempotency-key']),
      ['order-1001', 'order-1001', 'order-1001'],
      'with its key'
    )

    const metrics = await metricsAfter(sidecar, 5)
    t.equal(idempotencyCount(metrics, 'unscoped'), 3, 'counted as result=unscoped')
    t.equal(idempotencyCount(metrics, 'new'), 1)
    t.equal(idempotencyCount(metrics, 'replayed'), 1)
    t.equal(idempotencyCount(metrics, 'mismatch'), 0)
    if (type === 'redis') t.equal((await store.dump()).size, 1, "only tenant A's entry in Redis")
  })
}

t.test('an injected upstream.apiKey scopes a request that carries no credentials', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: PATH }, { status: 200, body: { session_id: 's-1' } })
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url, apiKey: 'injected-key' },
    retry: { backoff: FAST_BACKOFF }
  })
  const send = client(t)
  t.equal((await send(`${sidecar.url}${PATH}`, request(BODY, {}))).status, 200)
  await metricsAfter(sidecar, 1)
  t.ok(replayed(await send(`${sidecar.url}${PATH}`, request(BODY, {}))), 'deduplicated')
  t.equal(didit.count(), 1)
  t.equal(idempotencyCount(await metricsAfter(sidecar, 2), 'unscoped'), 0)
})
