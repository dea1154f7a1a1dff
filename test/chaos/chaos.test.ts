// The fault-injection suite, shortened (a few hundred logical requests, seeded): two sidecars (the
// real CLI) on one redis-server that is paused and restarted, the fake Didit with a fault plan and a
// listener that goes away. Each invariant is asserted on its own, so a failure lists what broke it.
import { join } from 'node:path'
import t from 'tap'
import type { Invariant } from '../../src/dev/chaos/invariants.js'
import { type ChaosOptions, DEFAULT_MIX, runChaos } from '../../src/dev/chaos/run.js'

const options: ChaosOptions = {
  entry: join(import.meta.dirname, '../../dist/didit-sidecar.js'),
  seed: 11,
  requests: 200,
  concurrency: 16,
  faultRatio: 0.25,
  faultMix: DEFAULT_MIX,
  keyedShare: 0.9,
  duplicateShare: 0.15,
  // Generous: a loaded 2-core machine may be slow, not by 3 s on a loopback call.
  marginMs: 3000,
  giveUpAfterMs: 2000,
  maxSends: 3,
  retryPauseMs: 50,
  redisPauseMs: 600,
  upstreamDownMs: 300,
  slowMs: 700,
  warmUp: 20,
  settleMs: 8000,
  tolerance: { fds: 0, rssBytes: 96 * 2 ** 20 }
}

t.setTimeout(120_000)

t.test('under a seeded fault mix, every invariant holds', async (t) => {
  const result = await runChaos(options)
  const { observed } = result

  // The run did what it claims: every fault kind and every outage happened.
  for (const kind of Object.keys(DEFAULT_MIX)) t.ok((result.faults.get(kind as never) ?? 0) > 0, `fault ${kind}`)
  t.same(
    result.outages.map((o) => o.kind),
    ['redis-pause', 'upstream-down', 'redis-restart', 'upstream-down', 'redis-pause']
  )
  t.equal(new Set(observed.sends.map((s) => s.logical)).size, options.requests, 'every logical request was sent')
  t.ok(
    observed.sends.some((s) => s.replayed),
    'some answers were replays'
  )
  // The run did real work. Its outages (Redis paused and restarted with onStoreError: reject, Didit's
  // listener down) cover a large share of a short run, so about half the requests end in 502/503.
  t.ok(observed.effects.length > options.requests / 4, `${observed.effects.length} side effects`)

  const violations = (kind: Invariant) => result.violations.filter((v) => v.invariant === kind).map((v) => v.detail)
  t.same(violations('deadline'), [], 'every send answered within its deadline')
  t.same(violations('single-effect'), [], 'no logical request billed twice')
  t.same(violations('budget'), [], 'retries within the budget bound')
  t.same(violations('metrics'), [], 'metric totals equal what clients and the fake Didit saw')
  t.same(violations('resources'), [], 'descriptors and RSS back to baseline')
})
