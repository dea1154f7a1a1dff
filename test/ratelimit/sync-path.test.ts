// Issue 9: with the memory store, a slot free now is taken and the attempt sent without a promise
// in between. The same seeded walk of attempts through the gate, over the memory store (its sync
// path) and over an async-only model of it (as Redis is reached), must give the same answers,
// waits, per-try timeouts, pauses learnt from 429s and `rateLimit` events.
import t from 'tap'
import { resolveConfig } from '../../src/config/load.js'
import { SidecarError } from '../../src/errors.js'
import type { RateLimitEvent } from '../../src/observe/events.js'
import { Events } from '../../src/observe/events.js'
import { gate } from '../../src/ratelimit/gate.js'
import { RateLimiter } from '../../src/ratelimit/limiter.js'
import type { SlotLimit } from '../../src/ratelimit/limits.js'
import { MemoryRateLimitStore } from '../../src/ratelimit/memory-store.js'
import type { AttemptResult } from '../../src/upstream/attempt.js'
import { ReferenceStore, seeded } from './reference-store.js'

const own: SlotLimit = { name: 'route:pdf', limit: 3, window: 500 }
const writes: SlotLimit = { name: 'writes', limit: 5, window: 1000 }
const LIMIT_SETS = [[own, writes], [writes], [own]]
const STEPS = 1500

async function walk(kind: 'sync' | 'async', seed: number) {
  let now = 0
  const clock = () => now
  const events = new Events()
  const seen: RateLimitEvent[] = []
  events.on('rateLimit', (e) => seen.push(e))
  const config = resolveConfig({ rateLimit: { maxWait: '300ms' } }, { env: {} }).rateLimit
  const store = kind === 'sync' ? new MemoryRateLimitStore(clock) : new ReferenceStore(clock)
  const limiter = new RateLimiter(config, { store, events, now: clock, wallClock: () => 1_700_000_000_000 + now })
  const random = seeded(seed)
  const steps: unknown[] = []
  let sentAtOnce = 0
  for (let i = 0; i < STEPS; i++) {
    // Bursts and lulls, two API keys, three sets of limits, deadlines near and far, some 429s.
    now += Math.floor(random() * (i % 300 < 150 ? 40 : 500))
    const scope = random() < 0.8 ? 'key-1' : 'key-2'
    const limits = LIMIT_SETS[Math.floor(random() * LIMIT_SETS.length)] as SlotLimit[]
    const deadline = now + Math.floor(random() * 800)
    const status = random() < 0.08 ? 429 : 200
    const headers = status === 429 && random() < 0.7 ? { 'retry-after': String(1 + Math.floor(random() * 2)) } : {}
    const step: Record<string, unknown> = { waited: [], slept: [], sent: [] }
    const limited = gate(
      limiter,
      { route: 'r', requestId: `q${i}`, scope, limits, deadline, waited: (ms) => (step.waited as number[]).push(ms) },
      {
        now: clock,
        sleep: async (ms) => {
          ;(step.slept as number[]).push(ms)
          now += ms
        }
      }
    )
    let calling = true
    const send = async (perTryTimeout: number): Promise<AttemptResult> => {
      ;(step.sent as number[]).push(perTryTimeout)
      if (calling) sentAtOnce++
      return { kind: 'response', status, headers, body: null as never }
    }
    const pending = limited(5000, send)
    calling = false
    try {
      step.status = (await pending).kind === 'response' ? status : 'error'
    } catch (error) {
      if (!(error instanceof SidecarError)) throw error
      step.problem = { code: error.code, status: error.status, headers: error.headers, extensions: error.extensions }
    }
    steps.push(step)
  }
  return { steps, events: seen, sentAtOnce }
}

t.test('the sync path gives the same answers and events as the async path, step by step', async (t) => {
  for (const seed of [7, 1234]) {
    const sync = await walk('sync', seed)
    const async = await walk('async', seed)
    t.same(sync.steps, async.steps, `seed ${seed}: answers, waits, sleeps, per-try timeouts`)
    t.same(sync.events, async.events, `seed ${seed}: rateLimit events`)
    // The walk reaches every decision, else agreeing would prove little.
    const results = new Set(sync.events.map((e) => e.result))
    t.same([...results].sort(), ['admitted', 'delayed', 'rejected', 'upstream_429'], `seed ${seed}: every result`)
    const admitted = sync.events.filter((e) => e.result === 'admitted').length
    t.equal(sync.sentAtOnce, admitted, 'each attempt with a slot free now is sent before the gate returns')
    t.equal(async.sentAtOnce, 0, 'the async store is awaited first')
  }
})
