import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { RedisStore, reconnectDelay } from '../../src/idempotency/redis-store.js'
import { StoreUnavailableError } from '../../src/idempotency/store.js'
import { startRedis } from '../helpers/redis-server.js'
import { storeBehaviour } from './store-behaviour.js'

const TIMEOUT = 500
// Generous on purpose: the bound proves "no hang", not speed, on a loaded machine.
const NO_HANG = TIMEOUT + 500
const RECOVERY_DEADLINE = 15_000
const LONG = 60_000

t.test('reconnection backs off exponentially up to a cap, forever', async (t) => {
  const delays = [1, 2, 3, 4, 5, 10, 100, 10_000].map(reconnectDelay)
  t.same(delays.slice(0, 4), [50, 100, 200, 400])
  t.ok(delays.every((delay, i) => i === 0 || delay >= (delays[i - 1] ?? 0)))
  t.equal(delays.at(-1), 1000)
})

const redis = await startRedis()
if (!redis) {
  if (process.env.CI === 'true') t.fail('redis-server is not installed: CI must provide it')
  else t.skip('Redis store tests: redis-server is not installed', () => {})
} else {
  const server = redis
  t.teardown(() => server.stop())
  const makeStore = () => new RedisStore({ url: server.url, keyPrefix: `test:${randomUUID()}:`, timeout: TIMEOUT })

  storeBehaviour(t, makeStore, { shortTtl: 150, exact: false, elapse: (ms) => sleep(ms) })

  t.test('a burst of first operations waits for the connection together', async (t) => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    t.teardown(() => process.off('warning', onWarning))
    const store = makeStore()
    t.teardown(() => store.close())
    const entries = await Promise.all(Array.from({ length: 50 }, (_, i) => store.get(`k-${i}`)))
    t.ok(entries.every((entry) => entry === null))
    await new Promise(setImmediate)
    t.same(warnings, [], 'no MaxListenersExceededWarning')
  })

  /** Every operation rejects with StoreUnavailableError, each within the no-hang bound. */
  const allFail = async (t: Test, store: RedisStore) => {
    const operations: Record<string, () => Promise<unknown>> = {
      claim: () => store.claim(randomUUID(), 'fp', 'owner', LONG),
      get: () => store.get('k'),
      complete: () => store.complete('k', 'owner', 'fp', { status: 200, headers: {}, body: Buffer.alloc(1) }, LONG),
      release: () => store.release('k', 'owner')
    }
    for (const [name, operation] of Object.entries(operations)) {
      const started = performance.now()
      await t.rejects(operation(), StoreUnavailableError, name)
      t.ok(performance.now() - started < NO_HANG, `${name} gave up within ${NO_HANG} ms`)
    }
  }
  /** Retries until the same store answers again: it must reconnect on its own. */
  const recovers = async (t: Test, store: RedisStore) => {
    const deadline = Date.now() + RECOVERY_DEADLINE
    for (;;) {
      try {
        t.equal(await store.claim(`after-${randomUUID()}`, 'fp', 'owner', LONG), null, 'answers again')
        return
      } catch (error) {
        if (!(error instanceof StoreUnavailableError) || Date.now() > deadline) throw error
        await sleep(TIMEOUT / 10)
      }
    }
  }

  t.test('Redis stopped: operations fail fast; restarted: the same store reconnects', async (t) => {
    const store = makeStore()
    t.teardown(() => store.close())
    t.equal(await store.claim('k', 'fp', 'owner', LONG), null)
    await server.stop()
    await allFail(t, store)
    await server.restart()
    await recovers(t, store)
  })

  t.test('Redis not answering: operations time out instead of hanging', async (t) => {
    const store = makeStore()
    t.teardown(() => store.close())
    t.equal(await store.get('k'), null)
    server.pause()
    t.teardown(() => server.resume())
    await allFail(t, store)
    server.resume()
    await recovers(t, store)
  })

  t.test('a claim that timed out during a stall does not hold its key once Redis answers again', async (t) => {
    const store = makeStore()
    t.teardown(() => store.close())
    t.equal(await store.get('k'), null)
    server.pause()
    t.teardown(() => server.resume())
    await t.rejects(store.claim('k', 'fp', 'gave-up', LONG), StoreUnavailableError, 'the claim times out')
    await sleep(TIMEOUT) // the undo, too, is sent and waits behind the claim
    server.resume()
    // Redis runs the late claim, then its undo; anything this store asks afterwards queues behind both.
    t.equal(await store.get('k'), null, 'the key is free')
    t.equal(await store.claim('k', 'fp', 'retry', LONG), null, 'and the next claim takes it')
  })
}
