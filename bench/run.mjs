// npm run bench [-- --smoke] [-- --seconds N --rounds N --only a,b --scenarios x,y --out FILE --docs --startup-only]
// Runs every contender against one upstream on loopback, in interleaved rounds (the order rotates
// each round), writes one JSON result file and, with --docs, docs/benchmarks.{json,md,svg}.
import { spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { CONTENDERS, imageAllocator, missing, startContender } from './contenders.mjs'
import { allocator, cpuMs, memory, resetPeak, sampleRss, spawnServer, stop, waitReady } from './lib/procs.mjs'
import { summarizeRuns } from './lib/stats.mjs'
import { writeReport } from './report.mjs'
import { perContender, retryScenario, warmups } from './scenarios.mjs'

const ROOT = join(import.meta.dirname, '..')
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: process.env.BENCH_SMOKE === '1' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    only: { type: 'string' },
    scenarios: { type: 'string' },
    out: { type: 'string' },
    docs: { type: 'boolean', default: false },
    'startup-only': { type: 'boolean', default: false }
  }
})
const smoke = args.smoke
const seconds = Number(args.seconds ?? (smoke ? 0.3 : 3))
const rounds = Number(args.rounds ?? (smoke ? 1 : 3))
const idleMs = smoke ? 100 : 1000
const wanted = args.only ? args.only.split(',') : CONTENDERS
// --scenarios limits the per-contender scenarios (e.g. upload-10mib); the retry run goes with retry-503.
const scenarioNames = args.scenarios?.split(',')
const chosen = (name) => scenarioNames === undefined || scenarioNames.includes(name)
const nodeArgs = process.env.BENCH_SIDECAR_NODE_ARGS?.split(' ').filter(Boolean) ?? []
const log = (line) => process.stderr.write(`bench: ${line}\n`)

function runLoad(origin, scenario) {
  const spec = { ...scenario, origin }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'load.mjs'), JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'inherit']
    })
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), scenario.warmupMs + scenario.durationMs + 30_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()))
      else reject(new Error(`load generator exited with ${code} on ${scenario.name}`))
    })
  })
}

/** Runs one scenario; the proxy's peak RSS is reset before and read after (clear_refs, else sampled). */
async function measure(started, scenario) {
  const pid = started.proc?.child.pid
  // The upload scenario's baseline: what the process holds just before the burst (after the others).
  const rssBefore = pid !== undefined && scenario.name === 'upload-10mib' ? (await memory(pid)).rssMiB : undefined
  const sampled = pid !== undefined && !(await resetPeak(pid)) ? sampleRss(pid) : undefined
  const cpuBefore = pid === undefined ? 0 : await cpuMs(pid)
  const result = await runLoad(started.base, scenario).finally(() => sampled?.())
  if (pid !== undefined) {
    // CPU per request is robust to a loaded machine, unlike throughput (warm-up requests included).
    result.cpuUsPerRequest = Math.round((((await cpuMs(pid)) - cpuBefore) * 1000) / Math.max(1, result.answered))
    const mem = await memory(pid)
    result.peakRssMiB = round(sampled ? Math.max(sampled(), mem.rssMiB) : mem.peakMiB)
    if (scenario.name === 'upload-10mib') {
      result.rssBeforeMiB = round(rssBefore)
      await sleep(idleMs)
      result.rssAfterMiB = round((await memory(pid)).rssMiB)
    }
  }
  return result
}

const round = (x) => Math.round(x * 10) / 10

async function start(name, options) {
  const started = await startContender(name, options)
  const since = started.proc?.spawnedAt ?? performance.now()
  try {
    const readyMs = await waitReady(started.readyUrl, since, { exited: started.proc?.exited })
    return { started, readyMs }
  } catch (error) {
    if (started.proc) await stop(started.proc)
    throw error
  }
}

const loadAtStart = loadavg().map(round)

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'didit-bench-'))
  const upstream = spawnServer(
    process.execPath,
    [join(import.meta.dirname, 'servers/upstream.mjs')],
    {},
    { pipe: true }
  )
  const runs = []
  const skipped = {}
  try {
    const upstreamPort = await new Promise((resolve, reject) => {
      upstream.child.stdout.once('data', (chunk) => resolve(JSON.parse(String(chunk)).port))
      upstream.exited.then(() => reject(new Error('the upstream exited')))
    })
    const available = []
    for (const name of wanted) {
      const why = missing(name)
      if (why === undefined) available.push(name)
      else {
        skipped[name] = why
        log(`skipping ${name}: ${why}`)
      }
    }
    const { missing: noJemalloc } = imageAllocator()
    if (noJemalloc && available.includes('sidecar'))
      log(`the sidecar runs on the C library's malloc, not the image's: ${noJemalloc}`)
    for (let r = 0; r < rounds; r++) {
      const order = available.map((_, i) => available[(i + r) % available.length])
      for (const name of order) {
        const { started, readyMs } = await start(name, { upstreamPort, dir, nodeArgs })
        try {
          const pid = started.proc?.child.pid
          if (pid !== undefined) {
            await sleep(idleMs)
            const { rssMiB } = await memory(pid)
            runs.push({
              round: r,
              contender: name,
              scenario: 'startup',
              startToReadyMs: round(readyMs),
              idleRssMiB: round(rssMiB),
              allocator: await allocator(pid)
            })
          }
          if (!args['startup-only']) for (const warmup of warmups({ smoke })) await runLoad(started.base, warmup)
          const scenarios = args['startup-only'] ? [] : perContender({ seconds, smoke }).filter((s) => chosen(s.name))
          for (const scenario of scenarios) {
            const result = await measure(started, scenario)
            runs.push({ round: r, contender: name, scenario: scenario.name, ...result })
            log(
              `round ${r + 1}/${rounds} ${name} ${scenario.name}: ${result.rps} req/s, p99 ${result.latencyMs.p99} ms`
            )
          }
        } finally {
          if (started.proc) await stop(started.proc)
        }
      }
      if (available.includes('sidecar') && !args['startup-only'] && chosen('retry-503'))
        runs.push({ round: r, ...(await retryRun(upstreamPort, dir)) })
    }
  } finally {
    await stop(upstream)
    await rm(dir, { recursive: true, force: true })
  }
  const result = { meta: await describe(), skipped, runs, summary: summarizeRuns(runs) }
  const out = args.out ?? join(ROOT, 'bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  await mkdir(join(out, '..'), { recursive: true })
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`)
  log(`results: ${out}`)
  if (args.docs) {
    await copyFile(out, join(ROOT, 'docs/benchmarks.json'))
    await writeReport(result, join(ROOT, 'docs'))
    log('wrote docs/benchmarks.{json,md,svg}')
  }
}

/** The sidecar against an upstream that answers 503 to 20 % of attempts: goodput and attempts per request. */
async function retryRun(upstreamPort, dir) {
  const scenario = retryScenario({ seconds })
  const { started } = await start('sidecar', { upstreamPort, upstreamPath: '/flaky', dir, nodeArgs })
  try {
    const result = await runLoad(started.base, scenario)
    const metrics = await (await fetch(started.metricsUrl)).text()
    const requests = total(metrics, 'didit_sidecar_requests_total')
    const attempts = total(metrics, 'didit_sidecar_upstream_attempts_total')
    const retries = total(metrics, 'didit_sidecar_retries_total')
    const attemptsPerRequest = requests > 0 ? Math.round((attempts / requests) * 1000) / 1000 : null
    log(`retry-503: goodput ${result.okRps} req/s, ${attemptsPerRequest} attempts per request`)
    return {
      contender: 'sidecar',
      scenario: scenario.name,
      ...result,
      requestsCounted: requests,
      attempts,
      retries,
      attemptsPerRequest
    }
  } finally {
    await stop(started.proc)
  }
}

/** Sum of every series of a counter in the Prometheus text format. */
function total(text, name) {
  let sum = 0
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

async function describe() {
  const version = (cmd, flag) =>
    new Promise((resolve) => {
      const child = spawn(cmd, [flag], { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      child.stdout.on('data', (c) => (out += c))
      child.stderr.on('data', (c) => (out += c))
      child.on('error', () => resolve(null))
      child.on('exit', () => resolve(out.split('\n')[0].trim() || null))
    })
  const { findBinary } = await import('./contenders.mjs')
  const pkg = async (name) =>
    JSON.parse(await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version
  return {
    date: new Date().toISOString(),
    command: `npm run bench --${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    smoke,
    secondsPerMeasurement: seconds,
    rounds,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryGiB: round(totalmem() / 2 ** 30),
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg().map(round),
    nginx: findBinary('nginx') ? await version(findBinary('nginx'), '-v') : null,
    haproxy: findBinary('haproxy') ? await version(findBinary('haproxy'), '-v') : null,
    sidecarAllocator: imageAllocator().env,
    packages: {
      fastify: await pkg('fastify'),
      undici: await pkg('undici'),
      '@fastify/http-proxy': await pkg('@fastify/http-proxy'),
      '@fastify/reply-from': await pkg('@fastify/reply-from'),
      'http-proxy': await pkg('http-proxy')
    }
  }
}

await main()
