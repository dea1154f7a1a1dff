// Issue 9: a store whose synchronous acquireNow fails falls back exactly as one whose acquire
// rejects: `onStoreError` local limits alone, pass lets through, reject refuses (503 through the
// gate); every failure is counted, and the answer still comes at once.
import t from 'tap'
import { resolveConfig } from '../../src/config/load.js'
import { SidecarError } from '../../src/errors.js'
import type { RateLimitEvent } from '../../src/observe/events.js'
import { Events } from '../../src/observe/events.js'
import { gate } from '../../src/ratelimit/gate.js'
import { RateLimiter, type Ticket } from '../../src/ratelimit/limiter.js'
import type { SlotLimit } from '../../src/ratelimit/limits.js'
import { type RateLimitStore, RateLimitStoreError } from '../../src/ratelimit/store.js'
import type { AttemptResult } from '../../src/upstream/attempt.js'

const writes: SlotLimit = { name: 'writes', limit: 1, window: 1000 }
const down = new RateLimitStoreError('down')

const failingNow: RateLimitStore = {
  acquireNow: () => {
    throw down
  },
  acquire: () => Promise.reject(down),
  pause: () => Promise.reject(down),
  close: async () => {}
}
const failingLater: RateLimitStore = {
  acquire: () => Promise.reject(down),
  pause: () => Promise.reject(down),
  close: async () => {}
}

function setup(onStoreError: string, store: RateLimitStore) {
  const now = () => 0
  const events = new Events()
  const seen: RateLimitEvent[] = []
  events.on('rateLimit', (e) => seen.push(e))
  const config = resolveConfig({ rateLimit: { store: { onStoreError } } }, { env: {} }).rateLimit
  const limiter = new RateLimiter(config, { store, events, now, wallClock: () => 1_700_000_000_000 })
  return { limiter, seen }
}

const request = (i: number) => ({ route: 'r', requestId: `q${i}`, scope: 's', limits: [writes], maxWaitMs: 0 })

for (const mode of ['local', 'pass', 'reject']) {
  t.test(`onStoreError ${mode}: the same tickets and events as an async failure, given at once`, async (t) => {
    const now = setup(mode, failingNow)
    const later = setup(mode, failingLater)
    const tickets: Ticket[] = []
    for (let i = 0; i < 3; i++) {
      const ticket = now.limiter.take(request(i))
      t.notOk(ticket instanceof Promise, 'decided at once')
      tickets.push(await ticket)
    }
    const expected = await Promise.all([0, 1, 2].map((i) => later.limiter.take(request(i))))
    t.same(tickets, expected)
    t.same(now.seen, later.seen)
    const kinds = { local: ['go', 'refused', 'refused'], pass: ['go', 'go', 'go'], reject: ['unavailable'] }[mode]
    t.same([...new Set(tickets.map((ticket) => ticket.kind))], [...new Set(kinds)])
    t.equal(now.seen.filter((e) => e.result === 'store_error').length, 3, 'each failure counted')
  })
}

t.test('through the gate: reject answers 503 with its cause, local refuses the second with 429', async (t) => {
  let sent = 0
  const send = async (): Promise<AttemptResult> => {
    sent++
    return { kind: 'response', status: 200, headers: {}, body: null as never }
  }
  const through = (limiter: RateLimiter, i: number) =>
    gate(
      limiter,
      // The deadline leaves 499 ms to wait, less than the 1000 ms to the next slot.
      { route: 'r', requestId: `q${i}`, scope: 's', limits: [writes], deadline: 500, waited: () => {} },
      { now: () => 0, sleep: async () => {} }
    )(1000, send)

  const reject = setup('reject', failingNow)
  const error = await through(reject.limiter, 0).catch((e: unknown) => e)
  t.ok(error instanceof SidecarError)
  t.match(error, { code: 'rate_limit_unavailable', status: 503, cause: down })
  t.equal(sent, 0, 'nothing sent')

  const local = setup('local', failingNow)
  t.match(await through(local.limiter, 1), { kind: 'response', status: 200 })
  t.equal(sent, 1)
  const refused = await through(local.limiter, 2).catch((e: unknown) => e)
  t.match(refused, { code: 'rate_limited', status: 429, headers: { 'retry-after': '1' } })
  t.equal(sent, 1, 'the refused attempt sent nothing')
  t.same(
    local.seen.map((e) => e.result),
    ['store_error', 'admitted', 'store_error', 'rejected']
  )
})
