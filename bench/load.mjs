// The load generator, run as its own process: `node bench/load.mjs '<json spec>'` prints one JSON
// result line. closed: `connections` clients each send back to back (saturation). open: requests
// are sent on a fixed timetable of `rate` per second whatever the answers do, and latency is
// measured from the scheduled time, so a stall is charged to every request it delays.
import { randomBytes } from 'node:crypto'
import { writeSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import { summarize } from './lib/stats.mjs'

const spec = JSON.parse(process.argv[2])
const { body, headers } = payload(spec.payload)
const pool = new Pool(spec.origin, { connections: spec.connections, pipelining: 1, keepAliveTimeout: 60_000 })
const statuses = {}
const latencies = []
let errors = 0
let answered = 0

function payload(kind) {
  if (kind === 'json-1k') {
    const base = {
      vendor_data: 'user-42',
      workflow_id: 'e2b7c7f0-0000-4000-8000-000000000000',
      callback: 'https://example.com/cb'
    }
    const json = JSON.stringify({
      ...base,
      metadata: 'x'.repeat(1024 - JSON.stringify({ ...base, metadata: '' }).length)
    })
    return { body: Buffer.from(json), headers: { 'content-type': 'application/json' } }
  }
  if (kind === 'multipart-10m') {
    const boundary = 'benchboundary7MA4YWxkTrZu0gW'
    const part = (name) =>
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${name}"; filename="${name}.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`
      )
    const image = randomBytes(5 * 1024 * 1024)
    const fixed = Buffer.concat([part('front_image'), image, Buffer.from('\r\n'), part('back_image')])
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
    const second = image.subarray(0, 10 * 1024 * 1024 - fixed.length - tail.length)
    return {
      body: Buffer.concat([fixed, second, tail]),
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }
    }
  }
  return { body: undefined, headers: {} }
}

async function send() {
  const response = await pool.request({ method: spec.method, path: spec.path, headers, body })
  for await (const _ of response.body) {
  }
  return response.statusCode
}

function settle(status, latency, record) {
  answered += 1
  if (!record) return
  if (status === undefined) errors += 1
  else statuses[status] = (statuses[status] ?? 0) + 1
  latencies.push(latency)
}

// Counts the requests sent in [warm-up end, end of the window), over the time until the last answer.
async function closed() {
  const from = performance.now() + spec.warmupMs
  const until = from + spec.durationMs
  let last = from
  const client = async () => {
    while (performance.now() < until) {
      const sent = performance.now()
      const status = await send().catch(() => undefined)
      const done = performance.now()
      settle(status, done - sent, sent >= from)
      if (sent >= from) last = Math.max(last, done)
    }
  }
  await Promise.all(Array.from({ length: spec.connections }, client))
  return Math.max(1, last - from)
}

async function open() {
  const interval = 1000 / spec.rate
  const warmup = Math.floor(spec.warmupMs / interval)
  const total = warmup + Math.floor(spec.durationMs / interval)
  const start = performance.now() + 5
  const pending = new Set()
  for (let i = 0; i < total; ) {
    const now = performance.now()
    for (; i < total && start + i * interval <= now; i++) {
      const scheduled = start + i * interval
      const record = i >= warmup
      const request = send()
        .catch(() => undefined)
        .then((status) => settle(status, performance.now() - scheduled, record))
      pending.add(request)
      request.finally(() => pending.delete(request))
    }
    await sleep(Math.max(0, Math.min(1, start + i * interval - performance.now())))
  }
  await Promise.race([Promise.all(pending), sleep(10_000)])
  errors += pending.size
  return spec.durationMs
}

const durationMs = spec.mode === 'open' ? await open() : await closed()
await pool.destroy()
const count = latencies.length
const ok = Object.entries(statuses).reduce((n, [code, c]) => (Number(code) < 400 ? n + c : n), 0)
const result = {
  requests: count,
  // Warm-up included: what the proxy served while its CPU time was counted.
  answered,
  rps: Math.round((count / durationMs) * 1000 * 10) / 10,
  okRps: Math.round((ok / durationMs) * 1000 * 10) / 10,
  errors,
  statuses,
  latencyMs: summarize(latencies),
  bodyBytes: body?.length ?? 0
}
writeSync(1, `${JSON.stringify(result)}\n`)
process.exit(0)
