import t from 'tap'
import { Coordinator, type CoordinatorOptions, retryAfterSeconds } from '../../src/idempotency/coordinator.js'
import { MemoryStore } from '../../src/idempotency/memory-store.js'
import { type IdempotencyStore, StoreUnavailableError } from '../../src/idempotency/store.js'

const options: CoordinatorOptions = {
  concurrent: 'wait',
  waitTimeout: 10_000,
  pollInterval: 50,
  lockTtl: 120_000,
  ttl: 86_400_000,
  maxResponseBody: 1024,
  onStoreError: 'pass'
}
const ok = {
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from('{"a":1}'),
  fromUpstream: true
}

/** A MemoryStore and a Coordinator on one fake clock; `during` runs at each sleep, as another request would. */
function setup(overrides: Partial<CoordinatorOptions> = {}) {
  let now = 0
  const world = { sleeps: 0, during: async (_slept: number) => {} }
  const store = new MemoryStore({ maxEntries: 100, now: () => now })
  const clock = {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms
      world.sleeps++
      await world.during(world.sleeps)
    }
  }
  const coordinator = new Coordinator(store, { ...options, ...overrides }, clock)
  const advance = (ms: number) => {
    now += ms
  }
  return { world, store, coordinator, advance }
}

/** Admits as the original request and returns its claim. */
async function first(coordinator: Coordinator, key = 'k', fp = 'fp') {
  const admission = await coordinator.admit(key, fp)
  if (admission.action !== 'proceed') throw new Error(`expected proceed, got ${admission.action}`)
  return admission.claim
}

t.test('first use proceeds; a retry after completion replays', async (t) => {
  const { coordinator } = setup()
  const claim = await first(coordinator)
  t.equal(await coordinator.settle(claim, ok), 'stored')
  const replay = await coordinator.admit('k', 'fp')
  t.match(replay, { action: 'replay', result: 'replayed', response: { status: 200 } })
  t.ok(replay.action === 'replay' && replay.response.body.equals(ok.body))
})

t.test('owners are fresh per admission', async (t) => {
  const { coordinator } = setup()
  const a = await first(coordinator, 'a')
  const b = await first(coordinator, 'b')
  t.not(a.owner, b.owner)
})

t.test('a different fingerprint is a mismatch, completed or in flight', async (t) => {
  const { coordinator } = setup()
  await coordinator.settle(await first(coordinator, 'done'), ok)
  t.same(await coordinator.admit('done', 'other'), { action: 'mismatch', result: 'mismatch' })
  await first(coordinator, 'running')
  t.same(await coordinator.admit('running', 'other'), { action: 'mismatch', result: 'mismatch' })
})

t.test('concurrent: reject answers 409 at once', async (t) => {
  const { coordinator, world } = setup({ concurrent: 'reject', pollInterval: 2500 })
  await first(coordinator)
  t.same(await coordinator.admit('k', 'fp'), { action: 'conflict', result: 'conflict', retryAfter: 3 })
  t.equal(world.sleeps, 0)
})

t.test('concurrent: wait replays the original when it completes during the wait', async (t) => {
  const { coordinator, world } = setup()
  const claim = await first(coordinator)
  world.during = async (n) => void (n === 3 && (await coordinator.settle(claim, ok)))
  t.match(await coordinator.admit('k', 'fp'), { action: 'replay', result: 'coalesced', response: { status: 200 } })
  t.equal(world.sleeps, 3)
})

t.test('concurrent: wait answers 409 when the original releases the key, and the retry goes through', async (t) => {
  const { coordinator, world } = setup()
  const claim = await first(coordinator)
  world.during = async (n) => void (n === 2 && (await coordinator.settle(claim, { ...ok, status: 429 })))
  t.same(await coordinator.admit('k', 'fp'), { action: 'conflict', result: 'conflict', retryAfter: 1 })
  const retry = await coordinator.admit('k', 'fp')
  t.match(retry, { action: 'proceed', result: 'new' })
  t.ok(retry.action === 'proceed' && retry.claim.owner !== claim.owner)
})

t.test('concurrent: wait gives up with 409 after waitTimeout', async (t) => {
  const { coordinator, world } = setup({ waitTimeout: 1000, pollInterval: 300 })
  await first(coordinator)
  t.same(await coordinator.admit('k', 'fp'), { action: 'conflict', result: 'conflict', retryAfter: 1 })
  t.equal(world.sleeps, 4, 'three polls of 300 ms and a last one of 100 ms')
})

t.test('a crashed owner blocks the key only until lockTtl', async (t) => {
  const { coordinator, advance } = setup({ concurrent: 'reject' })
  await first(coordinator)
  advance(options.lockTtl - 1)
  t.match(await coordinator.admit('k', 'fp'), { action: 'conflict' })
  advance(1)
  t.match(await coordinator.admit('k', 'fp'), { action: 'proceed', result: 'new' })
})

t.test('a duplicate waiting on a crashed owner gets 409 once the claim expires; its retry proceeds', async (t) => {
  const { coordinator } = setup({ lockTtl: 500, waitTimeout: 10_000 })
  await first(coordinator)
  t.match(await coordinator.admit('k', 'fp'), { action: 'conflict', result: 'conflict' })
  t.match(await coordinator.admit('k', 'fp'), { action: 'proceed', result: 'new' })
})

t.test('settle releases what is not worth replaying', async (t) => {
  for (const [label, response] of [
    ['nothing', null],
    ['429', { ...ok, status: 429 }],
    ['503', { ...ok, status: 503 }],
    ['own 502', { ...ok, status: 502, fromUpstream: false }],
    ['too large', { ...ok, body: Buffer.alloc(options.maxResponseBody + 1) }]
  ] as const) {
    const { coordinator } = setup()
    t.equal(await coordinator.settle(await first(coordinator), response), 'released', label)
    t.match(await coordinator.admit('k', 'fp'), { action: 'proceed' }, `${label}: the next retry goes through`)
  }
})

t.test('settle by an owner whose claim expired is lost', async (t) => {
  const { coordinator, advance } = setup()
  const stale = await first(coordinator)
  advance(options.lockTtl)
  const current = await first(coordinator)
  t.equal(await coordinator.settle(stale, ok), 'lost')
  t.equal(await coordinator.settle(stale, null), 'lost')
  t.equal(await coordinator.settle(current, ok), 'stored')
})

t.test('retryAfterSeconds rounds up to whole seconds, at least 1', async (t) => {
  t.same([0, 50, 1000, 1001, 2500].map(retryAfterSeconds), [1, 1, 1, 2, 3])
})

const failing: IdempotencyStore = {
  claim: () => Promise.reject(new StoreUnavailableError('down')),
  get: () => Promise.reject(new StoreUnavailableError('down')),
  complete: () => Promise.reject(new StoreUnavailableError('down')),
  release: () => Promise.reject(new StoreUnavailableError('down')),
  renew: () => Promise.reject(new StoreUnavailableError('down')),
  close: async () => {}
}

t.test('store errors: pass bypasses, reject is unavailable, settle reports them', async (t) => {
  const pass = new Coordinator(failing, options)
  t.match(await pass.admit('k', 'fp'), { action: 'bypass', result: 'store_error', error: StoreUnavailableError })
  const reject = new Coordinator(failing, { ...options, onStoreError: 'reject' })
  t.match(await reject.admit('k', 'fp'), { action: 'unavailable', result: 'store_error', error: StoreUnavailableError })
  // A settle retries store errors for up to lockTtl: a short one keeps this test fast.
  const settling = new Coordinator(failing, { ...options, lockTtl: 200, pollInterval: 20 })
  const claim = { key: 'k', owner: 'o', fingerprint: 'fp' }
  t.equal(await settling.settle(claim, ok), 'store_error')
  t.equal(await settling.settle(claim, null), 'store_error')
})

t.test(
  'settle retries a store error every pollInterval while the claim lives, and stores once the store is back',
  async (t) => {
    const { store, coordinator, world } = setup({ lockTtl: 1000, pollInterval: 50 })
    const claim = await first(coordinator)
    const complete = store.complete.bind(store)
    let failures = 3
    store.complete = (...args) =>
      failures-- > 0 ? Promise.reject(new StoreUnavailableError('restarting')) : complete(...args)
    t.equal(await coordinator.settle(claim, ok), 'stored', 'stored after the outage')
    t.equal(world.sleeps, 3, 'one pollInterval wait per failure')
    t.equal(coordinator.held, 0, 'no longer renewed')
    t.match(await coordinator.admit('k', 'fp'), { action: 'replay', result: 'replayed' })
  }
)

t.test('settle gives up with store_error once lockTtl has passed, and at once after close', async (t) => {
  const { store, coordinator, world } = setup({ lockTtl: 1000, pollInterval: 50 })
  const claim = await first(coordinator)
  store.complete = () => Promise.reject(new StoreUnavailableError('down'))
  t.equal(await coordinator.settle(claim, ok), 'store_error')
  t.equal(world.sleeps, 19, 'retried within lockTtl only')

  const closing = new Coordinator(failing, options)
  closing.close()
  t.equal(
    await closing.settle({ key: 'k', owner: 'o', fingerprint: 'fp' }, ok),
    'store_error',
    'no retries after close'
  )
})

t.test('an aborted wait rejects with an AbortError (system clock)', async (t) => {
  const coordinator = new Coordinator(new MemoryStore({ maxEntries: 10 }), options)
  await first(coordinator)
  const controller = new AbortController()
  setImmediate(() => controller.abort(new Error('client gone')))
  await t.rejects(coordinator.admit('k', 'fp', controller.signal), { name: 'AbortError' })
})

t.test('a store error while a duplicate waits never sends it upstream, even with onStoreError: pass', async (t) => {
  const { coordinator, store, world } = setup({ onStoreError: 'pass', waitTimeout: 1000, pollInterval: 100 })
  const claim = await first(coordinator)
  const get = store.get.bind(store)
  let failing = true
  store.get = (key) => (failing ? Promise.reject(new StoreUnavailableError('paused')) : get(key))
  // The store fails for three polls, then answers again while the original is still in flight.
  world.during = async (n) => {
    if (n === 4) failing = false
    if (n === 6) await coordinator.settle(claim, ok)
  }
  t.match(await coordinator.admit('k', 'fp'), { action: 'replay', result: 'coalesced' }, 'kept waiting')

  failing = true
  world.during = async () => {}
  await first(coordinator, 'other')
  t.same(
    await coordinator.admit('other', 'fp'),
    { action: 'conflict', result: 'conflict', retryAfter: 1 },
    'a store that never answers again: 409 at waitTimeout, not a bypass'
  )
})

t.test('a proceed claim is renewed every lockTtl/3 until settled; close stops every renewal', async (t) => {
  const ticks: { ms: number; fn: () => void; stopped: boolean }[] = []
  const clock = {
    now: () => 0,
    sleep: async () => {},
    every: (ms: number, fn: () => void) => {
      const tick = { ms, fn, stopped: false }
      ticks.push(tick)
      return () => {
        tick.stopped = true
      }
    }
  }
  const store = new MemoryStore({ maxEntries: 10, now: () => 0 })
  const coordinator = new Coordinator(store, { ...options, lockTtl: 3000 }, clock)
  const claim = await first(coordinator)
  t.same(
    ticks.map((tick) => tick.ms),
    [1000]
  )
  await first(coordinator, 'other')
  t.equal(coordinator.held, 2)
  await coordinator.settle(claim, ok)
  t.same(
    ticks.map((tick) => tick.stopped),
    [true, false]
  )
  coordinator.close()
  t.same(
    ticks.map((tick) => tick.stopped),
    [true, true]
  )
  t.equal(coordinator.held, 0)
})
