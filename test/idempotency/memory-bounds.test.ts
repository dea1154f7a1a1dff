// The memory store's byte bound and sweep (issue 7 item 10): bytes held stay under maxBytes however
// many answers are stored, eviction never drops an in-flight claim, and expired entries are dropped
// by the periodic sweep without any lookup.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { MemoryStore } from '../../src/idempotency/memory-store.js'

const LONG = 60_000
const BODY_BYTES = 10 * 1024
const MAX_BYTES = 1024 * 1024
const ANSWERS = 1000

let now = 1_000_000
const clock = { now: () => now }
const answer = () => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: Buffer.alloc(BODY_BYTES, 1)
})

async function store(target: MemoryStore, key: string, ttl = LONG) {
  await target.claim(key, 'fp', 'owner', LONG)
  await target.complete(key, 'owner', 'fp', answer(), ttl)
}

t.test(`${ANSWERS} answers of ${BODY_BYTES} bytes stay under maxBytes; a claim outlives them all`, async (t) => {
  const memory = new MemoryStore({ maxEntries: 100_000, maxBytes: MAX_BYTES, ...clock })
  t.teardown(() => memory.close())
  t.equal(await memory.claim('in-flight', 'fp', 'owner', LONG), null)
  let highest = 0
  for (let i = 0; i < ANSWERS; i++) {
    await store(memory, `answer-${i}`)
    highest = Math.max(highest, memory.bytes)
  }
  t.ok(highest <= MAX_BYTES, `bytes held never above the bound (at most ${highest})`)
  // Counted from the outside: the bodies still answerable cannot exceed the bound either.
  let kept = 0
  for (let i = 0; i < ANSWERS; i++) if ((await memory.get(`answer-${i}`))?.state === 'completed') kept++
  t.ok(kept * BODY_BYTES <= MAX_BYTES, `${kept} bodies kept`)
  t.ok(kept >= MAX_BYTES / BODY_BYTES / 2, 'and the bound is used, not emptied')
  t.not(await memory.get(`answer-${ANSWERS - 1}`), null, 'the newest answer is kept')
  t.equal(await memory.get('answer-0'), null, 'the oldest went')
  t.match(await memory.get('in-flight'), { state: 'in-flight', owner: 'owner' }, 'the claim was never evicted')
})

t.test('expired entries are swept without lookups; live ones stay', async (t) => {
  const memory = new MemoryStore({ maxEntries: 1000, sweepInterval: 5, ...clock })
  t.teardown(() => memory.close())
  for (let i = 0; i < 100; i++) await store(memory, `short-${i}`, 1000)
  await memory.claim('crashed-owner', 'fp', 'owner', 1000)
  await memory.claim('live-owner', 'fp', 'owner', 1000)
  await store(memory, 'long', LONG)
  t.equal(memory.size, 103)
  now += 900
  await memory.renew('live-owner', 'owner', 1000)
  now += 101
  const deadline = Date.now() + 5000
  while (memory.size > 2 && Date.now() < deadline) await sleep(5)
  t.equal(memory.size, 2, 'only the renewed claim and the long-lived answer are left')
  t.ok(memory.bytes > 0 && memory.bytes < 2 * 1024 + 2 * BODY_BYTES, 'and their bytes')
  t.match(await memory.get('live-owner'), { state: 'in-flight' })
  t.match(await memory.get('long'), { state: 'completed' })
})

t.test('close stops the sweep and empties the store', async (t) => {
  const memory = new MemoryStore({ maxEntries: 10, sweepInterval: 5, ...clock })
  await store(memory, 'k')
  await memory.close()
  t.equal(memory.size, 0)
  t.equal(memory.bytes, 0)
})
