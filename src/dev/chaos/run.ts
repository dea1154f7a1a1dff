// One chaos run: the fake Didit with a seeded fault plan, one redis-server, two sidecars (CLI child
// processes) sharing it, the clients, the outages on schedule; then the checks over what was recorded.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { stringify } from 'yaml'
import { resolveConfig } from '../../config/load.js'
import { type Arrival, type FaultKind, startFakeDidit } from '../fake-didit.js'
import { drive, warmUp } from './driver.js'
import { checkAll, type Observed, type Tolerances, type Violation } from './invariants.js'
import { parseMetrics } from './metrics-text.js'
import { faultFor, logicalRequest, type Outage, outages, type PlanOptions } from './plan.js'
import { type ChaosRedis, startRedis } from './redis.js'
import { chaosDocument, deadlineMs } from './setup.js'
import { type ChaosSidecar, type Resources, startSidecar } from './sidecars.js'

/** Longest wait for the sidecars' Redis connections before the idle baseline is taken. */
const REDIS_CONNECT_MS = 10_000

export interface ChaosOptions extends PlanOptions {
  /** The CLI the sidecars run: the bundle, dist/didit-sidecar.js. */
  entry: string
  concurrency: number
  /** Added to each route's deadline (see setup.ts). */
  marginMs: number
  giveUpAfterMs: number
  maxSends: number
  retryPauseMs: number
  redisPauseMs: number
  upstreamDownMs: number
  /** Delay of a 'slow' fault: longer than perTryTimeout, so the attempt times out. */
  slowMs: number
  /** GETs through each sidecar after the idle baseline, before the run. */
  warmUp: number
  /** Longest wait after the run for descriptors to come back to baseline. */
  settleMs: number
  tolerance: Tolerances
  progress?: (line: string) => void
}

export interface ChaosResult {
  observed: Observed
  violations: Violation[]
  /** Faults injected, by kind, over every upstream arrival. */
  faults: Map<FaultKind | 'none', number>
  outages: Array<Outage & { startedAt: number }>
  wallMs: number
}

export const DEFAULT_MIX: Partial<Record<FaultKind, number>> = {
  '503': 3,
  '429': 2,
  'reset-before-read': 2,
  'reset-after-read': 2,
  slow: 2,
  stall: 1
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const began = performance.now()
  const now = () => performance.now() - began
  const wallStart = Date.now()
  const say = options.progress ?? (() => undefined)
  const faults = new Map<FaultKind | 'none', number>()
  const seen = new Map<string, number>()
  const stalled = new Set<string>()
  // Each logical request's n-th arrival gets the plan's fault, whatever the interleaving.
  const choose = ({ headers }: Arrival) => {
    const id = headers['x-chaos-id']
    if (typeof id !== 'string') return undefined
    const n = seen.get(id) ?? 0
    seen.set(id, n + 1)
    const fault = faultFor(options, id, n)
    if (fault === 'stall') stalled.add(String(headers['x-chaos-send']))
    faults.set(fault ?? 'none', (faults.get(fault ?? 'none') ?? 0) + 1)
    return fault
  }
  const cleanups: Array<() => Promise<unknown>> = []
  try {
    const fault = { ratio: 0, slowMs: options.slowMs, retryAfterS: 1, choose }
    const fake = await startFakeDidit({ faults: fault, effectHeader: 'x-chaos-id' })
    cleanups.push(() => fake.close())
    const redis = await startRedis()
    cleanups.push(() => redis.stop())
    const document = chaosDocument(fake.url, redis.url)
    const config = resolveConfig(document, { env: {} })
    const dir = await mkdtemp(join(tmpdir(), 'didit-chaos-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const configPath = join(dir, 'config.yaml')
    await writeFile(configPath, stringify(document))
    const sidecars: ChaosSidecar[] = []
    for (let i = 0; i < 2; i++) {
      const sidecar = await startSidecar(options.entry, configPath)
      cleanups.push(() => sidecar.stop())
      sidecars.push(sidecar)
    }
    const [a, b] = sidecars as [ChaosSidecar, ChaosSidecar]
    const started = now()
    // The CLI is ready before its Redis connection is up: the idle baseline counts that socket.
    await untilConnected(redis, sidecars.length)
    const before = await Promise.all(sidecars.map((s) => s.resources()))
    say(`sidecars ${a.proxy} ${b.proxy}, upstream ${fake.url}, redis ${redis.url}`)
    await warmUp([a.proxy, b.proxy], options.warmUp)

    const schedule = outages(options.redisPauseMs, options.upstreamDownMs)
    const done: ChaosResult['outages'] = []
    const running: Array<Promise<void>> = []
    let idleCut = 0
    let warm: Promise<Resources[]> | undefined
    const perform = async (outage: Outage) => {
      done.push({ ...outage, startedAt: Math.round(now()) })
      say(`outage: ${outage.kind} at ${Math.round(outage.at * 100)} %`)
      if (outage.kind === 'redis-pause') {
        redis.pause()
        await sleep(outage.ms)
        redis.resume()
      } else if (outage.kind === 'redis-restart') await redis.restart()
      else {
        idleCut += (await fake.down()).idleCut
        await sleep(outage.ms)
        await fake.up()
      }
    }
    const sends = await drive({
      requests: options.requests,
      logical: (index) => logicalRequest(options, index),
      concurrency: options.concurrency,
      sidecars: [a.proxy, b.proxy],
      deadlineMs: (route) => deadlineMs(config, route, options.marginMs),
      giveUpAfterMs: options.giveUpAfterMs,
      maxSends: options.maxSends,
      retryPauseMs: options.retryPauseMs,
      onStart: (count) => {
        if (count === Math.ceil(options.requests / 10)) warm = Promise.all(sidecars.map((s) => s.resources()))
        while (schedule[0] !== undefined && count >= schedule[0].at * options.requests)
          running.push(perform(schedule.shift() as Outage))
        if (count % 1000 === 0) say(`${count} logical requests started`)
      },
      now
    })
    await Promise.all(running)
    say(`${sends.length} sends done in ${Math.round(now())} ms; settling`)
    const warmed = (await warm) ?? before
    const after = await settle(sidecars, before, options)
    const samples = await Promise.all(sidecars.map(async (s) => parseMetrics(await s.metrics())))
    const observed: Observed = {
      config,
      sends,
      effects: fake.effects.map((e) => ({ id: e.id, send: String(e.headers['x-chaos-send']), at: e.at - wallStart })),
      stalled,
      warmUp: 2 * options.warmUp,
      arrivals: fake.arrivals(),
      idleCut,
      sidecars: sidecars.map((_, i) => ({
        name: i === 0 ? 'A' : 'B',
        samples: samples[i] ?? [],
        before: before[i] as Resources,
        warm: warmed[i] as Resources,
        after: after[i] as Resources
      })),
      durationMs: now() - started
    }
    return { observed, violations: checkAll(observed, options.tolerance), faults, outages: done, wallMs: now() }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
  }
}

/** Waits (bounded) until pooled connections have closed and descriptors are back within tolerance. */
async function settle(sidecars: ChaosSidecar[], before: Resources[], options: ChaosOptions): Promise<Resources[]> {
  const until = performance.now() + options.settleMs
  for (;;) {
    const now = await Promise.all(sidecars.map((s) => s.resources()))
    const back = now.every((r, i) => r.fds <= (before[i] as Resources).fds + options.tolerance.fds)
    if (back || performance.now() > until) return now
    await sleep(250)
  }
}

/** Waits (bounded) until every sidecar holds its Redis connection. */
async function untilConnected(redis: ChaosRedis, sidecars: number): Promise<void> {
  const until = performance.now() + REDIS_CONNECT_MS
  while ((await redis.clients()) < sidecars) {
    if (performance.now() > until)
      throw new Error(`the sidecars did not connect to Redis within ${REDIS_CONNECT_MS} ms`)
    await sleep(25)
  }
}
