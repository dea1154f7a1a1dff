import t from 'tap'
import { MemoryStore } from '../../src/idempotency/memory-store.js'
import { StoreUnavailableError } from '../../src/idempotency/store.js'
import { storeBehaviour } from './store-behaviour.js'

let now = 1_000_000
const clock = { now: () => now }
const LONG = 60_000
const response = { status: 200, headers: {}, body: Buffer.from('ok') }

storeBehaviour(t, () => new MemoryStore({ maxEntries: 100, ...clock }), {
  shortTtl: 1000,
  exact: true,
  elapse: async (ms) => {
    now += ms
  }
})

async function completed(store: MemoryStore, key: string) {
  await store.claim(key, 'fp', 'owner', LONG)
  await store.complete(key, 'owner', 'fp', response, LONG)
}

t.test('beyond maxEntries the oldest completed entries go first; a claim is never evicted', async (t) => {
  const store = new MemoryStore({ maxEntries: 3, ...clock })
  t.teardown(() => store.close())
  await completed(store, 'done-1')
  await completed(store, 'done-2')
  await store.claim('flight-1', 'fp', 'owner', LONG)
  await store.claim('flight-2', 'fp', 'owner', LONG)
  t.equal(await store.get('done-1'), null)
  t.not(await store.get('done-2'), null)
  await store.claim('flight-3', 'fp', 'owner', LONG)
  t.equal(await store.get('done-2'), null)
  await t.rejects(store.claim('flight-4', 'fp', 'owner', LONG), StoreUnavailableError, 'only claims left: refused')
  for (const key of ['flight-1', 'flight-2', 'flight-3']) t.not(await store.get(key), null, key)
  t.equal(await store.get('flight-4'), null)
  t.equal(store.size, 3)
  t.equal(await store.release('flight-1', 'owner'), true)
  t.equal(await store.claim('flight-4', 'fp', 'owner', LONG), null, 'room again once a claim is settled')
})

t.test('a replayed entry counts as recently used', async (t) => {
  const store = new MemoryStore({ maxEntries: 2, ...clock })
  await completed(store, 'old')
  await completed(store, 'newer')
  await store.get('old')
  await completed(store, 'newest')
  t.not(await store.get('old'), null)
  t.equal(await store.get('newer'), null)
})

t.test('memory stays bounded under many keys', async (t) => {
  const store = new MemoryStore({ maxEntries: 50, ...clock })
  for (let i = 0; i < 1000; i++) await completed(store, `key-${i}`)
  t.equal(store.size, 50)
})

t.test('a stored response is a copy of the caller buffer', async (t) => {
  const store = new MemoryStore({ maxEntries: 10, ...clock })
  const body = Buffer.from('original')
  await store.claim('k', 'fp', 'owner', LONG)
  await store.complete('k', 'owner', 'fp', { status: 200, headers: {}, body }, LONG)
  body.write('changed!')
  const entry = await store.get('k')
  t.equal(entry?.state === 'completed' && entry.response.body.toString(), 'original')
})
