// The chaos plan is a pure function of the seed: the same requests and the same faults per arrival,
// whatever order concurrent requests reach the fake Didit in.
import t from 'tap'
import { faultFor, logicalRequest, type PlanOptions } from '../../src/dev/chaos/plan.js'
import { prng, weighted } from '../../src/dev/chaos/prng.js'

const plan: PlanOptions = {
  seed: 3,
  requests: 2000,
  faultRatio: 0.25,
  faultMix: { '503': 1, stall: 1 },
  keyedShare: 0.9,
  duplicateShare: 0.1
}

t.test('same seed, same plan; another seed, another plan', async (t) => {
  const ids = Array.from({ length: 50 }, (_, i) => i)
  t.same(
    ids.map((i) => logicalRequest(plan, i)),
    ids.map((i) => logicalRequest(plan, i))
  )
  const faults = (seed: number) => ids.map((i) => faultFor({ ...plan, seed }, `r-${i}`, 0))
  t.same(faults(3), faults(3))
  t.not(JSON.stringify(faults(3)), JSON.stringify(faults(4)))
})

t.test('shares follow the options', async (t) => {
  const all = Array.from({ length: plan.requests }, (_, i) => logicalRequest(plan, i))
  const posts = all.filter((r) => r.method === 'POST')
  const keyed = posts.filter((r) => r.key !== undefined)
  t.ok(Math.abs(keyed.length / posts.length - 0.9) < 0.05, `${keyed.length} of ${posts.length} POSTs keyed`)
  t.ok(
    all.every((r) => r.method === 'POST' || (r.key === undefined && !r.duplicate)),
    'GETs carry no key and are not duplicated'
  )
  t.ok(
    all.every((r) => r.body === undefined || r.body.includes(r.id)),
    'the logical id is in the body too'
  )
  const drawn = all.map((r) => faultFor(plan, r.id, 1))
  const faulted = drawn.filter((f) => f !== undefined)
  t.ok(Math.abs(faulted.length / drawn.length - 0.25) < 0.04, `${faulted.length} faults`)
  t.same([...new Set(faulted)].sort(), ['503', 'stall'])
})

t.test('weighted picks and the generator', async (t) => {
  t.equal(weighted({ a: 1, b: 0, c: 3 }, 0), 'a')
  t.equal(weighted({ a: 1, b: 0, c: 3 }, 0.3), 'c')
  t.equal(weighted({ a: 1, b: 0 }, 0.9999999999), 'a')
  const next = prng(1)
  const draws = Array.from({ length: 1000 }, next)
  t.ok(draws.every((d) => d >= 0 && d < 1))
  t.ok(Math.abs(draws.reduce((s, d) => s + d, 0) / 1000 - 0.5) < 0.05)
})
