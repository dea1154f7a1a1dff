// The Redis store against a real redis-server: the same rule as the memory store (Redis's clock, so
// waits are bounds), atomic across clients, keys that never hold the API key, and bounded failures.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import type { SlotLimit } from '../../src/ratelimit/limits.js'
import { RedisRateLimitStore } from '../../src/ratelimit/redis-store.js'
import { RateLimitStoreError } from '../../src/ratelimit/store.js'
import { connectRedis } from '../../src/redis/connect.js'
import { startRedis } from '../helpers/redis-server.js'

const redis = await startRedis()
if (redis === null) {
  if (process.env.CI === 'true') t.fail('redis-server is not installed: CI must provide it')
  else t.skip('redis-server is not installed', () => {})
} else {
  t.teardown(() => redis.stop())
  const open = () => {
    const store = new RedisRateLimitStore(connectRedis({ url: redis.url, timeout: 500 }), {
      keyPrefix: `t:${randomUUID()}:`,
      timeout: 500
    })
    t.teardown(() => store.close())
    return store
  }
  const writes: SlotLimit = { name: 'writes', limit: 2, window: 1000 }

  t.test('free slots, a reservation within maxWait, a refusal that takes nothing', async (t) => {
    const store = open()
    t.same(await store.acquire('a', [writes], 0, '1'), { admitted: true, waitMs: 0, decidedBy: null })
    t.same(await store.acquire('a', [writes], 0, '2'), { admitted: true, waitMs: 0, decidedBy: null })
    const refused = await store.acquire('a', [writes], 0, '3')
    t.equal(refused.admitted, false)
    t.equal(refused.decidedBy, 'writes')
    t.ok(refused.waitMs > 800 && refused.waitMs <= 1000, `the first slot frees in ~1 s: ${refused.waitMs}`)
    const queued = await store.acquire('a', [writes], 2000, '4')
    const queuedBy = Date.now() + queued.waitMs // no earlier than its slot (waits are from Redis's clock)
    t.ok(queued.admitted && queued.waitMs > 800 && queued.waitMs <= 1000, `reserved: ${queued.waitMs}`)
    const asked = Date.now()
    const next = await store.acquire('a', [writes], 5000, '5')
    // Slot times compared on one clock, less the round trips' slack (a loaded machine).
    const order = asked + next.waitMs - queuedBy
    t.ok(next.admitted && order > -100, `served after the earlier waiter (${order} ms)`)
    t.equal((await store.acquire('b', [writes], 0, '6')).admitted, true, 'another scope')
  })

  t.test('several limits: all or nothing; a pause holds the paused ones', async (t) => {
    const store = open()
    const own: SlotLimit = { name: 'route:pdf', limit: 1, window: 1000 }
    t.equal((await store.acquire('a', [own, writes], 0, '1')).admitted, true)
    const refused = await store.acquire('a', [own, writes], 0, '2')
    t.same([refused.admitted, refused.decidedBy], [false, 'route:pdf'])
    t.equal((await store.acquire('a', [writes], 0, '3')).admitted, true, 'the refusal took no shared slot')
    await store.pause('a', [{ name: 'reads', limit: 9, window: 1000 }], 1500)
    const paused = await store.acquire('a', [{ name: 'reads', limit: 9, window: 1000 }], 0, '4')
    t.ok(!paused.admitted && paused.waitMs > 1200 && paused.waitMs <= 1500, `paused: ${paused.waitMs}`)
  })

  t.test('atomic across connections: 20 at once, 5 admitted', async (t) => {
    const prefix = `t:${randomUUID()}:`
    const shared = [1, 2].map(
      () =>
        new RedisRateLimitStore(connectRedis({ url: redis.url, timeout: 1000 }), { keyPrefix: prefix, timeout: 1000 })
    )
    t.teardown(() => Promise.all(shared.map((store) => store.close())))
    const limit: SlotLimit = { name: 'writes', limit: 5, window: 5000 }
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (shared[i % 2] as RedisRateLimitStore).acquire('k', [limit], 0, `m${i}`))
    )
    t.equal(results.filter((result) => result.admitted).length, 5)
  })

  t.test('keys hold the scope hash and limit name, with an expiry', async (t) => {
    const prefix = `t:${randomUUID()}:`
    const store = new RedisRateLimitStore(connectRedis({ url: redis.url, timeout: 500 }), {
      keyPrefix: prefix,
      timeout: 500
    })
    t.teardown(() => store.close())
    await store.acquire('0123abcd', [writes], 0, 'm')
    const inspector = new Redis(redis.url)
    t.teardown(() => inspector.disconnect())
    const keys = await inspector.keys(`${prefix}*`)
    t.same(keys, [`${prefix}{0123abcd}:log:writes`])
    const ttl = await inspector.pttl(keys[0] as string)
    t.ok(ttl > 0 && ttl <= 1000, `expires with its window: ${ttl}`)
  })

  t.test('Redis down: a RateLimitStoreError at once, not a hang', async (t) => {
    const store = new RedisRateLimitStore(connectRedis({ url: 'redis://127.0.0.1:1', timeout: 300 }), {
      keyPrefix: 'x:',
      timeout: 300
    })
    t.teardown(() => store.close())
    const started = Date.now()
    await t.rejects(store.acquire('a', [writes], 0, 'm'), RateLimitStoreError)
    t.ok(Date.now() - started < 1000, 'bounded by the timeout')
  })
}
