// Dead request bodies are given back once the buffer budget drains (issue 9): after a burst of
// large uploads nothing allocates, so V8 would leave their memory resident for tens of seconds.
// One full collection runs when the budget has been empty for a quiet period, after enough bytes.
import { Readable } from 'node:stream'
import t from 'tap'
import { readBody } from '../../src/proxy/body.js'
import { BufferBudget } from '../../src/proxy/buffer-budget.js'
import { DRAIN_COLLECT_DEFAULTS, DrainCollect } from '../../src/proxy/drain-collect.js'

const MiB = 1024 * 1024
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(condition: () => boolean, within = 3000): Promise<boolean> {
  const give = Date.now() + within
  while (!condition()) {
    if (Date.now() > give) return false
    await sleep(20)
  }
  return true
}

/** A watch whose collections are counted instead of run. */
function counted(options: { threshold: number; quietMs: number; minIntervalMs: number }) {
  const calls = { n: 0 }
  return { calls, drain: new DrainCollect({ ...options, collect: () => calls.n++ }) }
}

t.test('a drained budget that held enough bytes is collected once, after a quiet period', async (t) => {
  const { calls, drain } = counted({ threshold: MiB, quietMs: 20, minIntervalMs: 0 })
  const budget = new BufferBudget(64 * MiB, drain)
  const leases = [budget.lease(), budget.lease()]
  for (const lease of leases) t.ok(lease.reserve(MiB))
  leases[0]?.release()
  await sleep(60)
  t.equal(calls.n, 0, 'not while a body is still held')
  leases[1]?.release()
  t.ok(await until(() => calls.n === 1), 'collected once the budget is empty')
  await sleep(60)
  t.equal(calls.n, 1, 'only once')
})

t.test('small bodies are left to V8; a new body during the quiet period postpones the collection', async (t) => {
  const { calls, drain } = counted({ threshold: 4 * MiB, quietMs: 40, minIntervalMs: 0 })
  const budget = new BufferBudget(64 * MiB, drain)
  const first = budget.lease()
  first.reserve(3 * MiB)
  first.release()
  await sleep(100)
  t.equal(calls.n, 0, 'below the threshold: no collection')
  const second = budget.lease()
  second.reserve(2 * MiB)
  second.release()
  const third = budget.lease()
  third.reserve(MiB)
  await sleep(100)
  t.equal(calls.n, 0, 'a reservation cancels the pending collection')
  third.release()
  t.ok(await until(() => calls.n === 1), 'collected after the last body, counting every byte since the last collection')
})

t.test('collections are spaced by minIntervalMs however often the budget drains', async (t) => {
  const { calls, drain } = counted({ threshold: MiB, quietMs: 10, minIntervalMs: 400 })
  const budget = new BufferBudget(64 * MiB, drain)
  const cycle = () => {
    const lease = budget.lease()
    lease.reserve(MiB)
    lease.release()
  }
  cycle()
  t.ok(await until(() => calls.n === 1), 'first drain collected')
  const first = Date.now()
  cycle()
  await sleep(100)
  t.equal(calls.n, 1, 'the second waits for the interval')
  t.ok(await until(() => calls.n === 2), 'and then runs')
  t.ok(Date.now() - first >= 300, 'not before the interval (less timer slack)')
})

t.test('with the shipped defaults, a large buffered body is freed soon after its request ends', async (t) => {
  const budget = new BufferBudget(256 * MiB)
  const lease = budget.lease()
  const size = DRAIN_COLLECT_DEFAULTS.threshold + MiB
  const chunk = Buffer.alloc(MiB, 7)
  const payload = Object.assign(
    Readable.from(
      (function* () {
        for (let i = 0; i < size / MiB; i++) yield chunk
      })(),
      { objectMode: false }
    ),
    { headers: { 'content-length': String(size) } }
  )
  const limits = { maxBuffered: 2 * size, bodyLimit: 2 * size, lease }
  const dead = await (async () => {
    const body = await readBody(payload, limits)
    if (body.kind !== 'buffered') throw new Error('expected a buffered body')
    t.equal(body.bytes.length, size)
    return new WeakRef(body.bytes.buffer)
  })()
  lease.release()
  // Nothing else allocates here, as in a sidecar after a burst: only the drain collection frees it.
  t.ok(await until(() => dead.deref() === undefined), 'the dead body was collected')
})
