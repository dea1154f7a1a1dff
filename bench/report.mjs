// docs/benchmarks.md and docs/benchmarks.svg from one result file:
// `node bench/report.mjs [results.json] [out-dir]` (default: docs/benchmarks.json, docs/).
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import * as vega from 'vega'
import { compile } from 'vega-lite'

const LABELS = {
  direct: 'direct (floor)',
  nginx: 'nginx',
  haproxy: 'HAProxy',
  'node-http-proxy': 'node http-proxy',
  'fastify-http-proxy': 'bare @fastify/http-proxy',
  sidecar: 'didit-sidecar'
}
const BARE = 'fastify-http-proxy'

const fmt = (x, digits = 1) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(digits))
const ratio = (a, b) => (a == null || b == null || b === 0 ? '—' : `${(a / b).toFixed(2)} ×`)
const diff = (a, b) => (a == null || b == null ? '—' : `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(2)}`)

function rowsOf(summary, scenario) {
  return summary.filter((row) => row.scenario === scenario)
}

function table(head, rows) {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`)
  ].join('\n')
}

function saturation(summary, scenario) {
  const rows = rowsOf(summary, scenario)
  const by = Object.fromEntries(rows.map((r) => [r.contender, r]))
  return table(
    [
      'contender',
      'req/s',
      'vs direct',
      'vs bare',
      'CPU µs/req',
      'CPU vs bare',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'peak RSS MiB',
      'errors'
    ],
    rows.map((r) => [
      LABELS[r.contender],
      fmt(r.rps, 0),
      ratio(r.rps, by.direct?.rps),
      ratio(r.rps, by[BARE]?.rps),
      fmt(r.cpuUsPerRequest, 0),
      ratio(r.cpuUsPerRequest, by[BARE]?.cpuUsPerRequest),
      fmt(r.latencyMs.p50, 2),
      fmt(r.latencyMs.p99, 2),
      fmt(r.latencyMs.p999, 2),
      fmt(r.peakRssMiB),
      fmt(r.errors, 0)
    ])
  )
}

function fixedRate(summary, scenario) {
  const rows = rowsOf(summary, scenario)
  const by = Object.fromEntries(rows.map((r) => [r.contender, r]))
  const d = by.direct?.latencyMs
  const b = by[BARE]
  return table(
    [
      'contender',
      'achieved req/s',
      'CPU µs/req',
      'CPU vs bare',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'p50 over direct',
      'p99 over direct',
      'p99 over bare',
      'peak RSS MiB',
      'RSS vs bare'
    ],
    rows.map((r) => [
      LABELS[r.contender],
      fmt(r.rps, 0),
      fmt(r.cpuUsPerRequest, 0),
      ratio(r.cpuUsPerRequest, b?.cpuUsPerRequest),
      fmt(r.latencyMs.p50, 2),
      fmt(r.latencyMs.p99, 2),
      fmt(r.latencyMs.p999, 2),
      diff(r.latencyMs.p50, d?.p50),
      diff(r.latencyMs.p99, d?.p99),
      diff(r.latencyMs.p99, b?.latencyMs.p99),
      fmt(r.peakRssMiB),
      ratio(r.peakRssMiB, b?.peakRssMiB)
    ])
  )
}

function upload(summary) {
  const rows = rowsOf(summary, 'upload-10mib')
  const by = Object.fromEntries(rows.map((r) => [r.contender, r]))
  return table(
    [
      'contender',
      'uploads/s',
      'MiB/s',
      'vs direct',
      'vs bare',
      'CPU µs/upload',
      'p99 ms',
      'RSS before MiB',
      'peak RSS MiB',
      'RSS after MiB',
      'after vs before',
      'errors'
    ],
    rows.map((r) => [
      LABELS[r.contender],
      fmt(r.rps, 1),
      fmt(r.rps * 10, 0),
      ratio(r.rps, by.direct?.rps),
      ratio(r.rps, by[BARE]?.rps),
      fmt(r.cpuUsPerRequest, 0),
      fmt(r.latencyMs.p99, 1),
      fmt(r.rssBeforeMiB),
      fmt(r.peakRssMiB),
      fmt(r.rssAfterMiB),
      ratio(r.rssAfterMiB, r.rssBeforeMiB),
      fmt(r.errors, 0)
    ])
  )
}

function startup(summary) {
  const rows = rowsOf(summary, 'startup')
  const b = rows.find((r) => r.contender === BARE)
  return table(
    ['contender', 'start to ready ms', 'vs bare', 'idle RSS MiB', 'vs bare'],
    rows.map((r) => [
      LABELS[r.contender],
      fmt(r.startToReadyMs, 0),
      ratio(r.startToReadyMs, b?.startToReadyMs),
      fmt(r.idleRssMiB),
      ratio(r.idleRssMiB, b?.idleRssMiB)
    ])
  )
}

function retry(result) {
  const rows = result.runs.filter((r) => r.scenario === 'retry-503')
  return table(
    ['round', 'requests/s', 'goodput (2xx) req/s', 'attempts per request', 'answers by status', 'p99 ms'],
    rows.map((r) => [
      String(r.round + 1),
      fmt(r.rps, 0),
      fmt(r.okRps, 0),
      fmt(r.attemptsPerRequest, 3),
      JSON.stringify(r.statuses),
      fmt(r.latencyMs.p99, 1)
    ])
  )
}

/** A Vega-Lite chart of throughput at saturation and p99 at 1000 req/s, rendered to SVG headless. */
export async function chart(summary) {
  const order = Object.keys(LABELS).map((k) => LABELS[k])
  const data = summary
    .filter((r) => r.latencyMs && r.scenario !== 'upload-10mib')
    .map((r) => ({ contender: LABELS[r.contender], scenario: r.scenario, rps: r.rps, p99: r.latencyMs.p99 }))
  const bars = (title, filter, field, axis) => ({
    title,
    transform: [{ filter }],
    mark: 'bar',
    width: 300,
    height: 160,
    encoding: {
      y: { field: 'contender', type: 'nominal', sort: order, title: null },
      x: { field, type: 'quantitative', title: axis },
      color: { field: 'scenario', type: 'nominal', title: 'scenario' },
      yOffset: { field: 'scenario' }
    }
  })
  const spec = compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: data },
    hconcat: [
      bars(
        'Throughput at saturation (32 connections)',
        "indexof(datum.scenario, 'saturation') >= 0",
        'rps',
        'requests/s'
      ),
      bars(
        'p99 at a fixed 1000 req/s (open loop)',
        "indexof(datum.scenario, '1000rps') >= 0",
        'p99',
        'p99 latency (ms)'
      )
    ],
    resolve: { scale: { color: 'independent' } }
  }).spec
  const view = new vega.View(vega.parse(spec), { renderer: 'none' })
  const svg = await view.toSVG()
  view.finalize()
  return svg
}

/** How the sidecar's malloc was set: the image's jemalloc (Dockerfile), or the C library's where it is missing. */
function allocatorLine(env) {
  if (env?.LD_PRELOAD === undefined)
    return "The sidecar ran on the C library's malloc: libjemalloc2 was not installed, so unlike the image it ran without jemalloc."
  return `The sidecar runs on the allocator its image sets (Dockerfile): jemalloc (\`LD_PRELOAD=${env.LD_PRELOAD}\`,
  \`MALLOC_CONF=${env.MALLOC_CONF}\`), which gives pages freed after a burst back within about a second. Every
  other contender runs on the C library's malloc, as its own deployment would.`
}

export function markdown(result) {
  const { meta, summary, skipped } = result
  const skippedLines = Object.entries(skipped).map(([name, why]) => `- ${LABELS[name]} skipped: ${why}.`)
  return `# Benchmarks

Generated by \`bench/report.mjs\` from [benchmarks.json](benchmarks.json) (one run of \`npm run bench\`); do not edit by hand.

## How it was measured

- Command: \`${meta.command}\`${meta.smoke ? ' (smoke mode: these numbers are not meaningful)' : ''}, on ${meta.date.slice(0, 10)}.
- Machine: ${meta.cpus} cores (${meta.cpuModel}), ${meta.memoryGiB} GiB, Node ${meta.node}; ${meta.nginx ?? 'no nginx'}; ${meta.haproxy ?? 'no HAProxy'}.
  Load average (1, 5, 15 min) at the start: ${meta.loadAverageAtStart?.join(', ')}; at the end: ${meta.loadAverageAtEnd.join(', ')}.
- **Caveat: the ${meta.cpus} cores are shared** by the load generator, the upstream and the proxy (and, on a shared
  machine, by whatever else runs). Absolute numbers are low and noisy; compare contenders by their ratios in the same run.
- CPU µs/req is the proxy process's user + system CPU time (/proc/PID/stat) over the requests it served in the
  scenario, warm-up included: unlike throughput, it barely depends on what else the machine is doing.
- Loopback only. The upstream is a minimal node:http server (not the fake Didit) answering a small JSON body.
  The load generator is its own process (undici Pool): closed loop at saturation (32 connections, each sends again as
  soon as it has its answer) and **open loop** at 1000 req/s (a fixed timetable, latency counted from the scheduled
  send time, so stalls are not hidden by coordinated omission).
- ${meta.rounds} rounds of ${meta.secondsPerMeasurement} s per measurement (plus warm-up), contenders in a rotating order each
  round; each cell is the median over rounds. Each contender is one fresh process per round; peak RSS is its VmHWM
  over the scenario (reset before each scenario via /proc/PID/clear_refs).
- Contenders: **direct** (the floor: the generator talks to the upstream), **nginx** and **HAProxy** (one worker/thread,
  keep-alive to the upstream, configs generated in a temp dir), **node http-proxy** (keep-alive agent), **bare
  @fastify/http-proxy** (no logger, undici 128 connections), and **didit-sidecar** as its real CLI
  (\`node dist/didit-sidecar.js --config <derived config.yaml>\`, the shipped config: retries, generated idempotency keys on POST,
  memory store, metrics and info logs on, logs to /dev/null, the rate limiter on with its memory store). Only the rate
  limits differ (\`benchConfig\` in bench/contenders.mjs): every shared and per-route limit is raised to 10^9 per 1 s
  window (plus the shipped 1 s margin), far above any load here, so that the limiter's cost per request is measured
  but it never queues or refuses; with Didit's 300 writes / 600 reads per minute the saturation and 1000 req/s
  scenarios would mostly measure local 429s. The short window keeps the sliding-window log at a few thousand entries,
  the order of what Didit's limits hold, rather than a minute of bench traffic.
- ${allocatorLine(meta.sidecarAllocator)}
- Bare @fastify/http-proxy is configured as a fair baseline: @fastify/reply-from turns TLS verification off unless told
  otherwise (here \`tls.rejectUnauthorized: true\`), reads Retry-After as milliseconds, and \`maxRetriesOn503: 0\` does
  not turn off its GET retries; a \`retryDelay\` hook returning null does, and is what is used.
${skippedLines.length ? `${skippedLines.join('\n')}\n` : ''}
![throughput and p99 by contender](benchmarks.svg)

## Small JSON POST to /v3/session/ at saturation

${saturation(summary, 'post-saturation')}

## GET /v3/session/:id/decision/ at saturation

${saturation(summary, 'get-saturation')}

## POST at a fixed 1000 req/s (open loop)

${fixedRate(summary, 'post-1000rps')}

## GET at a fixed 1000 req/s (open loop)

${fixedRate(summary, 'get-1000rps')}

## 10 MiB multipart upload to /v3/id-verification/, 20 concurrent clients

RSS before is the process's just before the burst (after the scenarios above), RSS after is ${meta.smoke ? '0.1' : '1'} s after
its last answer: their ratio is what the burst left behind.

${upload(summary)}

## Start to ready and idle memory

Spawn until the readiness URL answers 200 (the sidecar's admin /readyz), then RSS after ${meta.smoke ? '0.1' : '1'} s idle.

${startup(summary)}

## The sidecar with 20 % of attempts answered 503

POST /v3/session/ (route session-create: 5 attempts, idempotent) at saturation, the upstream answering 503 to every
fifth attempt; attempts per request from the
sidecar's own /metrics. The retry budget (20 % of requests plus 10/s) caps the extra load, so some 503s reach the client.

${retry(result)}
`
}

export async function writeReport(result, dir) {
  await writeFile(join(dir, 'benchmarks.svg'), await chart(result.summary))
  const existing = await readFile(join(dir, 'benchmarks.md'), 'utf8').catch(() => '')
  const notes = existing.includes('\n## Profile') ? existing.slice(existing.indexOf('\n## Profile')) : ''
  await writeFile(join(dir, 'benchmarks.md'), markdown(result) + notes)
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = join(import.meta.dirname, '..')
  const file = process.argv[2] ?? join(root, 'docs/benchmarks.json')
  await writeReport(JSON.parse(await readFile(file, 'utf8')), process.argv[3] ?? join(root, 'docs'))
}
