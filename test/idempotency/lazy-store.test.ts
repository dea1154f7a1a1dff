// The Redis store's module is loaded only when the config asks for Redis: a memory-store sidecar
// never loads ioredis (idle memory and start-up time, issue 9), and a store that cannot be loaded
// fails its operations as StoreUnavailableError, which `onStoreError` already handles.
import { createRequire } from 'node:module'
import t from 'tap'
import { LazyStore } from '../../src/idempotency/lazy-store.js'
import { StoreUnavailableError } from '../../src/idempotency/store.js'
import { startSidecar } from '../helpers/sidecar.js'

const loaded = (name: string) =>
  Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes(`/node_modules/${name}/`))

t.test('a sidecar with the memory store does not load ioredis', async (t) => {
  const sidecar = await startSidecar(t, { upstream: { url: 'http://127.0.0.1:9' } })
  t.equal(sidecar.config.idempotency.store.type, 'memory')
  // Control: a CommonJS package that the sidecar does load shows up in the same cache.
  t.ok(loaded('prom-client'), 'prom-client is in the module cache')
  t.notOk(loaded('ioredis'), 'ioredis is not in the module cache')
})

t.test('a store that cannot be loaded fails its operations as StoreUnavailableError', async (t) => {
  const store = new LazyStore(async () => {
    throw new Error('no such module')
  })
  await t.rejects(store.claim('k', 'f', 'o', 1000), StoreUnavailableError)
  await t.rejects(store.get('k'), StoreUnavailableError)
  await t.rejects(store.release('k', 'o'), StoreUnavailableError)
  await t.resolves(store.close())
})
