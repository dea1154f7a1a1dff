// The limiter's decisions and events on an injected clock: the limit that decided, delayed vs
// admitted, each onStoreError mode, and pauses learnt from Didit's 429 (capped at the window).
import t from 'tap'
import { resolveConfig } from '../../src/config/load.js'
import type { RateLimitEvent } from '../../src/observe/events.js'
import { Events } from '../../src/observe/events.js'
import { RateLimiter } from '../../src/ratelimit/limiter.js'
import type { SlotLimit } from '../../src/ratelimit/limits.js'
import { MemoryRateLimitStore } from '../../src/ratelimit/memory-store.js'
import { type RateLimitStore, RateLimitStoreError } from '../../src/ratelimit/store.js'

const own: SlotLimit = { name: 'route:pdf', limit: 5, window: 1000 }
const writes: SlotLimit = { name: 'writes', limit: 1, window: 1000 }

function setup(onStoreError = 'local', store?: RateLimitStore) {
  let now = 0
  const clock = () => now
  const events = new Events()
  const seen: RateLimitEvent[] = []
  events.on('rateLimit', (e) => seen.push(e))
  const config = resolveConfig({ rateLimit: { store: { onStoreError } } }, { env: {} }).rateLimit
  const limiter = new RateLimiter(config, {
    store: store ?? new MemoryRateLimitStore(clock),
    events,
    now: clock,
    wallClock: () => 1_700_000_000_000 + now
  })
  const take = (limits: SlotLimit[], maxWaitMs = 0) =>
    limiter.take({ route: 'r', requestId: String(Math.random()), scope: 's', limits, maxWaitMs })
  return { limiter, take, seen, advance: (ms: number) => (now += ms) }
}

const failing: RateLimitStore = {
  acquire: () => Promise.reject(new RateLimitStoreError('down')),
  pause: () => Promise.reject(new RateLimitStoreError('down')),
  close: async () => {}
}

t.test('admitted, delayed, rejected; the limit named is the one that decided', async (t) => {
  const { take, seen } = setup()
  t.same(await take([own, writes]), { kind: 'go', waitMs: 0 })
  t.same(await take([own, writes], 1000), { kind: 'go', waitMs: 1000 })
  t.same(await take([own, writes], 500), { kind: 'refused', waitMs: 2000, limit: 'writes' })
  t.same(
    seen.map((e) => [e.limit, e.result, e.waitMs]),
    [
      ['route:pdf', 'admitted', 0],
      ['writes', 'delayed', 1000],
      ['writes', 'rejected', 2000]
    ]
  )
})

t.test('store errors: local limits alone, pass lets through, reject refuses; each counted', async (t) => {
  const local = setup('local', failing)
  t.same(await local.take([writes]), { kind: 'go', waitMs: 0 })
  t.equal((await local.take([writes])).kind, 'refused', 'the local fallback still limits')
  t.same(
    local.seen.map((e) => e.result),
    ['store_error', 'admitted', 'store_error', 'rejected']
  )
  const pass = setup('pass', failing)
  t.same([(await pass.take([writes])).kind, (await pass.take([writes])).kind], ['go', 'go'])
  const reject = setup('reject', failing)
  t.equal((await reject.take([writes])).kind, 'unavailable')
  t.same(
    [...pass.seen, ...reject.seen].map((e) => e.result),
    ['store_error', 'store_error', 'store_error']
  )
})

t.test("Didit's 429 pauses the request's limits, at most for the longest window", async (t) => {
  const { limiter, take, seen } = setup()
  await limiter.learn({ route: 'r', requestId: 'q', scope: 's', limits: [own] }, { 'retry-after': '3600' })
  t.same(await take([own], 0), { kind: 'refused', waitMs: 1000, limit: 'route:pdf' }, 'capped at one window')
  t.same(await take([writes], 0), { kind: 'go', waitMs: 0 }, 'other limits go on')
  t.equal(seen[0]?.result, 'upstream_429')
  const quiet = setup()
  await quiet.limiter.learn({ route: 'r', requestId: 'q', scope: 's', limits: [writes] }, {})
  t.same(await quiet.take([writes]), { kind: 'go', waitMs: 0 }, 'no header: counted, no pause')
  t.same(
    quiet.seen.map((e) => e.result),
    ['upstream_429', 'admitted']
  )
})

t.test('a failed pause falls back to the local store under `local`', async (t) => {
  const { limiter, take, seen } = setup('local', failing)
  await limiter.learn({ route: 'r', requestId: 'q', scope: 's', limits: [writes] }, { 'retry-after': '1' })
  t.equal((await take([writes])).kind, 'refused', 'paused locally')
  t.same(
    seen.map((e) => e.result),
    ['upstream_429', 'store_error', 'store_error', 'rejected']
  )
})
