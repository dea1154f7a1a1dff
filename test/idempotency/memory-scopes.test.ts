// Tenant isolation in the memory store (issue 11 item 2): each scope holds at most scopeShare of
// maxEntries and maxBytes, so one tenant flooding the store evicts only its own answers, never
// another tenant's answer nor anyone's in-flight claim; beyond its share of claims, its claim fails.
import t from 'tap'
import { MemoryStore } from '../../src/idempotency/memory-store.js'
import { StoreUnavailableError } from '../../src/idempotency/store.js'
import { tenantOf } from '../../src/idempotency/tenant.js'

const LONG = 60_000
const PREFIX = 'didit-sidecar:'
const key = (tenant: string, name: string) => `${PREFIX}${tenant}:POST:/v3/session/:${name}`
const response = (bytes = 2) => ({ status: 200, headers: {}, body: Buffer.alloc(bytes, 1) })

function scoped(options: { maxEntries: number; maxBytes?: number }) {
  const store = new MemoryStore({ ...options, scopeShare: 0.5, scopeOf: tenantOf(PREFIX) })
  return store
}

async function completed(store: MemoryStore, k: string, bytes = 2) {
  await store.claim(k, 'fp', 'owner', LONG)
  await store.complete(k, 'owner', 'fp', response(bytes), LONG)
}

t.test('tenant B flooding fresh keys keeps tenant A answer and claim', async (t) => {
  const store = scoped({ maxEntries: 10 })
  t.teardown(() => store.close())
  await completed(store, key('aaaa', 'stored'))
  t.equal(await store.claim(key('aaaa', 'flight'), 'fp', 'owner-a', LONG), null)
  for (let i = 0; i < 1000; i++) await completed(store, key('bbbb', `fresh-${i}`))
  t.match(await store.get(key('aaaa', 'stored')), { state: 'completed' }, "A's answer is still replayable")
  t.match(await store.get(key('aaaa', 'flight')), { state: 'in-flight', owner: 'owner-a' }, "A's claim is kept")
  t.ok(store.size <= 10, `maxEntries holds (${store.size})`)
  t.match(await store.get(key('bbbb', 'fresh-999')), { state: 'completed' }, "B's newest answer is kept")
})

t.test("B's claims are capped at its share; A can still claim", async (t) => {
  const store = scoped({ maxEntries: 10 })
  t.teardown(() => store.close())
  await completed(store, key('aaaa', 'stored'))
  for (let i = 0; i < 5; i++) t.equal(await store.claim(key('bbbb', `flight-${i}`), 'fp', 'b', LONG), null)
  await t.rejects(store.claim(key('bbbb', 'one-too-many'), 'fp', 'b', LONG), StoreUnavailableError)
  t.equal(await store.get(key('bbbb', 'one-too-many')), null, 'not claimed')
  t.equal(await store.claim(key('aaaa', 'flight'), 'fp', 'a', LONG), null, 'A claims within its own share')
  t.match(await store.get(key('aaaa', 'stored')), { state: 'completed' })
  t.same(
    await store.claim(key('bbbb', 'flight-0'), 'fp', 'b2', LONG),
    { state: 'in-flight', fingerprint: 'fp', owner: 'b' },
    'a full share still answers for its existing keys'
  )
})

t.test("B's bytes are capped at its share of maxBytes", async (t) => {
  const store = scoped({ maxEntries: 1000, maxBytes: 100_000 })
  t.teardown(() => store.close())
  await completed(store, key('aaaa', 'stored'), 10_000)
  for (let i = 0; i < 100; i++) await completed(store, key('bbbb', `big-${i}`), 10_000)
  t.match(await store.get(key('aaaa', 'stored')), { state: 'completed' })
  t.ok(store.bytes <= 100_000, `maxBytes holds (${store.bytes})`)
  let kept = 0
  for (let i = 0; i < 100; i++) if (await store.get(key('bbbb', `big-${i}`))) kept++
  t.ok(kept * 10_000 <= 50_000, `B keeps at most half (${kept} answers)`)
})

t.test('when all scopes together exceed the bounds, the fullest scope gives way', async (t) => {
  const store = scoped({ maxEntries: 10 })
  t.teardown(() => store.close())
  for (let i = 0; i < 2; i++) await completed(store, key('aaaa', `a-${i}`))
  for (let i = 0; i < 5; i++) await completed(store, key('bbbb', `b-${i}`))
  for (let i = 0; i < 5; i++) await completed(store, key('cccc', `c-${i}`))
  t.equal(store.size, 10)
  for (let i = 0; i < 2; i++) t.match(await store.get(key('aaaa', `a-${i}`)), { state: 'completed' }, `a-${i} kept`)
})

t.test('tenantOf reads the tenant of a store key', async (t) => {
  const of = tenantOf(PREFIX)
  t.equal(of(key('0123abcd', 'k:with:colons')), '0123abcd')
  t.not(of(key('aaaa', 'x')), of(key('bbbb', 'x')))
})
