// Scoping (issue 4: "two tenants can never see each other's responses"; IETF draft, security):
// with no upstream.apiKey injected, each client's own x-api-key scopes its keys, so the same key
// from two tenants is two requests. The store holds a hash of the API key, never the key itself.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import {
  FAST_BACKOFF,
  idempotencyCount,
  metricsAfter,
  post,
  replayed,
  STORE_TYPES,
  startUpstream,
  useStore
} from './harness.js'

const PATH = '/v3/aml/'
const BODY = '{"full_name":"A"}'
const TENANTS = { a: 'tenant-a-secret-api-key-0001', b: 'tenant-b-secret-api-key-0002', c: 'tenant-c-secret-0003' }

for (const type of STORE_TYPES) {
  t.test(`${type}: the same key from two tenants → both forwarded, each replays its own answer`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: PATH }, [
      { status: 200, body: { request_id: 'for-a' } },
      { status: 200, body: { request_id: 'for-b' } },
      { status: 200, body: { request_id: 'for-c' } }
    ])
    didit.script({ path: PATH }, { status: 500, body: { detail: 'an unexpected upstream call' } }, { repeat: true })
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url, apiKey: '' },
      idempotency: { store: store.config },
      retry: { backoff: FAST_BACKOFF }
    })
    const send = client(t)
    const as = (tenant: keyof typeof TENANTS, body = BODY) =>
      send(`${sidecar.url}${PATH}`, post('shared-key', body, { 'x-api-key': TENANTS[tenant] }))
    const idOf = (response: { body: Buffer }) =>
      (JSON.parse(response.body.toString()) as { request_id?: string }).request_id

    const a = await as('a')
    await metricsAfter(sidecar, 1)
    const b = await as('b')
    t.equal(idOf(a), 'for-a')
    t.equal(idOf(b), 'for-b', "tenant b gets its own answer, not a replay of a's")
    t.notOk(replayed(b))
    t.same(
      didit.requests.map((request) => request.headers['x-api-key']),
      [TENANTS.a, TENANTS.b],
      "both forwarded, each with its tenant's key"
    )
    // Another body under the same key is no mismatch for a third tenant either.
    const c = await as('c', '{"full_name":"C"}')
    t.equal(c.status, 200, 'another tenant, another body: forwarded, not 422')
    t.equal(idOf(c), 'for-c')
    await metricsAfter(sidecar, 3)

    const aAgain = await as('a')
    const bAgain = await as('b')
    t.ok(replayed(aAgain) && replayed(bAgain), 'repeats are replays')
    t.equal(idOf(aAgain), 'for-a', 'a replays its own answer')
    t.equal(idOf(bAgain), 'for-b', 'b replays its own answer')
    t.equal(didit.count(), 3, 'one upstream call per tenant')

    const metrics = await metricsAfter(sidecar, 5)
    t.equal(idempotencyCount(metrics, 'new'), 3)
    t.equal(idempotencyCount(metrics, 'replayed'), 2)
    t.equal(idempotencyCount(metrics, 'mismatch'), 0)

    if (type === 'redis') {
      const entries = await store.dump()
      t.equal(entries.size, 3, 'one Redis key per tenant')
      const keys = [...entries.keys()]
      const values = [...entries.values()]
      const prefix = String(store.config.keyPrefix)
      t.ok(
        keys.every((key) => key.startsWith(prefix)),
        'all under the key prefix'
      )
      for (const [tenant, secret] of Object.entries(TENANTS)) {
        t.notOk(
          keys.some((key) => key.includes(secret)),
          `tenant ${tenant}: its API key is in no Redis key`
        )
        t.notOk(
          values.some((value) => value.includes(secret)),
          `tenant ${tenant}: nor in any stored value`
        )
      }
    }
  })
}
