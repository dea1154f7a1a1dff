// The memory store (and `local` fallback) on an injected clock: slots taken in order, refusals take
// nothing, scopes apart, several limits at once, and pauses.
import t from 'tap'
import type { SlotLimit } from '../../src/ratelimit/limits.js'
import { MemoryRateLimitStore } from '../../src/ratelimit/memory-store.js'
import { earliestSlot, prune } from '../../src/ratelimit/window.js'

function storeAt(start = 1000) {
  let now = start
  const store = new MemoryRateLimitStore(() => now)
  return { store, advance: (ms: number) => (now += ms) }
}
const writes: SlotLimit = { name: 'writes', limit: 2, window: 1000 }

t.test('free slots at once, then a reservation within maxWait, then a refusal that takes nothing', async (t) => {
  const { store, advance } = storeAt()
  t.same(await store.acquire('a', [writes], 0, 'm1'), { admitted: true, waitMs: 0, decidedBy: null })
  advance(100)
  t.same(await store.acquire('a', [writes], 0, 'm2'), { admitted: true, waitMs: 0, decidedBy: null })
  t.same(await store.acquire('a', [writes], 500, 'm3'), { admitted: false, waitMs: 900, decidedBy: 'writes' })
  t.same(await store.acquire('a', [writes], 900, 'm4'), { admitted: true, waitMs: 900, decidedBy: 'writes' })
  // m3 took nothing: m5 waits behind m4 for the slot m2 frees, not for a phantom one.
  t.same(await store.acquire('a', [writes], 5000, 'm5'), { admitted: true, waitMs: 1000, decidedBy: 'writes' })
})

t.test('scopes are counted apart', async (t) => {
  const { store } = storeAt()
  for (const member of ['1', '2']) await store.acquire('a', [writes], 0, member)
  t.equal((await store.acquire('a', [writes], 0, '3')).admitted, false)
  t.equal((await store.acquire('b', [writes], 0, '4')).admitted, true, 'another API key')
})

t.test("a slot is taken in every limit or in none; the route's own limit names the refusal", async (t) => {
  const { store } = storeAt()
  const own: SlotLimit = { name: 'route:pdf', limit: 1, window: 1000 }
  t.equal((await store.acquire('a', [own, writes], 0, '1')).admitted, true)
  t.same(await store.acquire('a', [own, writes], 0, '2'), { admitted: false, waitMs: 1000, decidedBy: 'route:pdf' })
  t.equal((await store.acquire('a', [writes], 0, '3')).admitted, true, 'the refusal took no shared slot')
  t.same(await store.acquire('a', [writes], 0, '4'), { admitted: false, waitMs: 1000, decidedBy: 'writes' })
})

t.test('a pause holds the paused limits only, and a shorter one does not shorten it', async (t) => {
  const { store, advance } = storeAt()
  const reads: SlotLimit = { name: 'reads', limit: 5, window: 1000 }
  await store.pause('a', [writes], 2000)
  await store.pause('a', [writes], 500)
  t.same(await store.acquire('a', [writes], 0, '1'), { admitted: false, waitMs: 2000, decidedBy: 'writes' })
  t.equal((await store.acquire('a', [reads], 0, '2')).admitted, true)
  t.equal((await store.acquire('b', [writes], 0, '3')).admitted, true, 'other scopes go on')
  advance(2000)
  t.equal((await store.acquire('a', [writes], 0, '4')).admitted, true, 'over once it ends')
})

t.test('logs of keys seen once are swept once they no longer count', async (t) => {
  const { store, advance } = storeAt()
  for (let i = 0; i < 999; i++) await store.acquire(`key-${i}`, [writes], 0, 'm')
  await store.pause('key-0', [writes], 500)
  t.equal(store.size, 1000)
  advance(1000)
  await store.acquire('fresh', [writes], 0, 'm')
  t.equal(store.size, 1, 'only the fresh key is left')
})

t.test('a sweep keeps the logs and pauses of a scope that still count', async (t) => {
  const { store, advance } = storeAt()
  const hourly: SlotLimit = { name: 'hourly', limit: 1, window: 3_600_000 }
  await store.acquire('a', [writes, hourly], 0, 'm')
  await store.pause('a', [writes, hourly], 5000)
  advance(1000)
  // A thousand acquisitions in another scope: the sweep runs once among them.
  for (let i = 0; i < 1000; i++) await store.acquire(`key-${i}`, [], 0, 'm')
  t.equal(store.size, 3, "scope a's hourly log and both pauses are kept; its writes log is gone")
  advance(4000)
  t.same(await store.acquire('a', [writes], 0, 'm'), { admitted: true, waitMs: 0, decidedBy: null })
  t.same(await store.acquire('a', [hourly], 0, 'm'), { admitted: false, waitMs: 3_595_000, decidedBy: 'hourly' })
})

t.test(
  'decisions match the exact sliding window of prune(), whatever expired entries the log still holds',
  async (t) => {
    let now = 0
    const store = new MemoryRateLimitStore(() => now)
    const limit: SlotLimit = { name: 'writes', limit: 5, window: 1000 }
    let exact: number[] = []
    // A seeded walk of arrivals, dense and sparse, so that the log's expired head is cut at many points.
    let seed = 7
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let i = 0; i < 2000; i++) {
      now += Math.floor(next() * (i % 200 < 100 ? 60 : 700))
      const maxWait = next() < 0.5 ? 0 : 400
      exact = prune(exact, now, limit.window)
      const slot = earliestSlot([{ limit, entries: exact, pausedUntil: 0 }], now)
      const expected = slot.at - now <= maxWait
      const got = await store.acquire('k', [limit], maxWait)
      if (got.admitted !== expected || got.waitMs !== slot.at - now) {
        t.fail(`step ${i}: admitted ${got.admitted} wait ${got.waitMs}, exact ${expected} wait ${slot.at - now}`)
        return
      }
      if (expected) exact.push(slot.at)
    }
    t.pass('2000 decisions agree')
  }
)
