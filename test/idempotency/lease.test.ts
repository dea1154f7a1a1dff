// Lease renewal (issue 7 item 3): a live owner keeps its claim for as long as it works on the
// request, however many lockTtls that takes, and stops renewing once it settles; a dead owner's
// claim (no renewal) expires within lockTtl. Coordinators on a real redis-server and on the memory
// store, with a small lockTtl so that several of them pass quickly.
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { Coordinator, type CoordinatorOptions } from '../../src/idempotency/coordinator.js'
import { MemoryStore } from '../../src/idempotency/memory-store.js'
import { RedisStore } from '../../src/idempotency/redis-store.js'
import type { IdempotencyStore } from '../../src/idempotency/store.js'
import { startRedis } from '../helpers/redis-server.js'

const LOCK_TTL = 400
/** The owner works this long: four lockTtls. */
const WORK = 4 * LOCK_TTL
const options: CoordinatorOptions = {
  concurrent: 'reject',
  waitTimeout: 0,
  pollInterval: 50,
  lockTtl: LOCK_TTL,
  ttl: 60_000,
  maxResponseBody: 1024,
  onStoreError: 'reject'
}
const ok = { status: 200, headers: {}, body: Buffer.from('done'), fromUpstream: true }

/** Counts renewals, so that a test sees them stop. */
function counting(store: IdempotencyStore) {
  const counted = { renewals: 0, store }
  const renew = store.renew.bind(store)
  store.renew = (...args) => {
    counted.renewals++
    return renew(...args)
  }
  return counted
}

function leaseTests(t: Test, makeStore: () => IdempotencyStore) {
  const coordinators = (t: Test) => {
    const counted = counting(makeStore())
    const { store } = counted
    const owner = new Coordinator(store, options)
    const other = new Coordinator(store, options)
    t.teardown(async () => {
      owner.close()
      await store.close()
    })
    return { owner, other, counted }
  }

  t.test('an owner working for several lockTtls keeps its claim; duplicates meanwhile get 409', async (t) => {
    const { owner, other, counted } = coordinators(t)
    const key = randomUUID()
    const admission = await owner.admit(key, 'fp')
    if (admission.action !== 'proceed') return t.fail(`expected proceed, got ${admission.action}`)
    const started = Date.now()
    let duplicates = 0
    while (Date.now() - started < WORK) {
      await sleep(LOCK_TTL / 2)
      t.match(await other.admit(key, 'fp'), { action: 'conflict' }, `duplicate at +${Date.now() - started} ms`)
      duplicates++
    }
    t.ok(duplicates >= 6, `${duplicates} duplicates, the last ones long after lockTtl`)
    t.equal(await owner.settle(admission.claim, ok), 'stored', 'the owner still holds its claim when it settles')
    t.match(await other.admit(key, 'fp'), { action: 'replay', result: 'replayed' })
    t.ok(counted.renewals >= 3, `renewed ${counted.renewals} times`)
  })

  t.test('renewal stops once the claim is settled', async (t) => {
    const { owner, counted } = coordinators(t)
    const admission = await owner.admit(randomUUID(), 'fp')
    if (admission.action !== 'proceed') return t.fail('expected proceed')
    t.equal(owner.held, 1)
    await owner.settle(admission.claim, null)
    t.equal(owner.held, 0)
    const after = counted.renewals
    await sleep(2 * LOCK_TTL)
    t.equal(counted.renewals, after, 'no renewal after settle')
  })

  t.test("a dead owner's claim (no more renewals) expires within lockTtl", async (t) => {
    const { owner, other } = coordinators(t)
    const key = randomUUID()
    t.match(await owner.admit(key, 'fp'), { action: 'proceed' })
    await sleep(2 * LOCK_TTL)
    t.match(await other.admit(key, 'fp'), { action: 'conflict' }, 'alive while renewed')
    owner.close()
    const died = Date.now()
    let admission = await other.admit(key, 'fp')
    while (admission.action === 'conflict' && Date.now() - died < 10 * LOCK_TTL) {
      await sleep(10)
      admission = await other.admit(key, 'fp')
    }
    t.match(admission, { action: 'proceed' }, 'free again')
    // One renewal may have been under way when the owner died: lockTtl from then, plus slack for a loaded machine.
    t.ok(Date.now() - died < 3 * LOCK_TTL, `within about lockTtl (${Date.now() - died} ms)`)
  })
}

t.test('memory store', async (t) => leaseTests(t, () => new MemoryStore({ maxEntries: 100 })))

const redis = await startRedis()
if (!redis) {
  if (process.env.CI === 'true') t.fail('redis-server is not installed: CI must provide it')
  else t.skip('Redis lease tests: redis-server is not installed', () => {})
} else {
  const server = redis
  t.teardown(() => server.stop())
  t.test('redis store', async (t) =>
    leaseTests(t, () => new RedisStore({ url: server.url, keyPrefix: `lease:${randomUUID()}:`, timeout: 500 }))
  )
}
