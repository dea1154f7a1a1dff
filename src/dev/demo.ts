// `npm run demo`: the retry engine at work without a Didit account. Starts the fake Didit with
// a fault mix and the sidecar with the shipped config.yaml (both on loopback), sends a few hundred
// requests through it, and prints what happened, counted from the sidecar's own events.
// Then a burst against a small rate limit shows requests admitted, delayed and refused locally.
import { parseArgs } from 'node:util'
import { request } from 'undici'
import { buildApp } from '../app.js'
import { loadConfigFile } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { startFakeDidit } from './fake-didit.js'

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '300' }, faults: { type: 'string', default: '0.3' } },
  strict: true
})
const total = Number(values.requests)
const CONCURRENCY = 16

const didit = await startFakeDidit({
  faults: {
    ratio: Number(values.faults),
    mix: { '503': 4, '429': 1, '500': 1, '502': 2, reset: 2, slow: 1 },
    slowMs: 300
  }
})
const config = await loadConfigFile(new URL('../../../config.yaml', import.meta.url).pathname, {
  env: {
    DIDIT_SIDECAR_UPSTREAM: didit.url,
    DIDIT_SIDECAR_PORT: '0',
    DIDIT_SIDECAR_ADMIN_HOST: '127.0.0.1',
    DIDIT_SIDECAR_ADMIN_PORT: '0',
    DIDIT_SIDECAR_LOG_LEVEL: 'silent'
  }
})
// This part shows retries; the rate limit gets its own scenario below.
const app = buildApp({ ...config, rateLimit: { ...config.rateLimit, enabled: false } })
const base = await listen(app)

const tally = new Map<string, number>()
const count = (what: string) => tally.set(what, (tally.get(what) ?? 0) + 1)
app.events.on('attempt', () => count('attempts'))
app.events.on('retry', (e) => count(`retry: ${e.reason}`))
app.events.on('budgetExhausted', () => count('budget refusals'))
app.events.on('retrySkipped', (e) => count(`retry skipped: ${e.reason}`))
app.events.on('response', (e) => {
  count('requests')
  count(`outcome: ${e.outcome} (${e.status})`)
})

// A realistic mix: session creation, decisions, AML screening, OTP.
const calls = [
  () => ({ method: 'POST', path: '/v3/session/', body: { workflow_id: 'demo-workflow' } }),
  () => ({ method: 'GET', path: '/v3/sessions/' }),
  () => ({ method: 'POST', path: '/v3/aml/', body: { full_name: 'Jane Demo', date_of_birth: '1990-01-01' } }),
  () => ({ method: 'POST', path: '/v3/email/send/', body: { email: 'jane@example.com' } })
] as const

const started = performance.now()
let next = 0
async function worker() {
  while (next < total) {
    const call = calls[next++ % calls.length]?.() as { method: string; path: string; body?: object }
    const response = await request(`${base}${call.path}`, {
      method: call.method as 'GET',
      headers: { 'content-type': 'application/json' },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) })
    })
    await response.body.dump()
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker))
const seconds = (performance.now() - started) / 1000

const rows = [...tally.entries()].sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
const width = Math.max(...rows.map(([name]) => name.length))
process.stdout.write(
  `\nfake Didit faults: ${Number(values.faults) * 100} % of requests; ${total} requests in ${seconds.toFixed(1)} s\n\n`
)
for (const [name, value] of rows) process.stdout.write(`  ${name.padEnd(width)}  ${String(value).padStart(5)}\n`)
process.stdout.write(`\nupstream received ${didit.requests.length} requests; metrics: GET /metrics on the admin port\n`)

await app.close()
await didit.close()
await burst(config)

function order(name: string): number {
  const groups = ['requests', 'attempts', 'retry', 'budget', 'outcome']
  const group = groups.findIndex((prefix) => name.startsWith(prefix))
  return group === -1 ? groups.length : group
}

async function listen(sidecar: ReturnType<typeof buildApp>): Promise<string> {
  await sidecar.proxy.listen({ host: '127.0.0.1', port: 0 })
  const address = sidecar.proxy.server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
}

/** 40 POSTs at once against 10 per second with a 1.5 s maxWait: 10 go, 10 wait a second, 20 get 429. */
async function burst(shipped: Config) {
  const BURST = 40
  const limit = { name: 'writes', methods: ['POST' as const], limit: 10, window: 1000 }
  const upstream = await startFakeDidit()
  const sidecar = buildApp({
    ...shipped,
    upstream: { ...shipped.upstream, url: upstream.url },
    rateLimit: { ...shipped.rateLimit, maxWait: 1500, margin: 100, limits: [limit] }
  })
  const url = await listen(sidecar)
  const counts = new Map<string, number>()
  const add = (what: string) => counts.set(what, (counts.get(what) ?? 0) + 1)
  sidecar.events.on('rateLimit', (e) => add(`rate limit: ${e.result}`))
  const statuses = await Promise.all(
    Array.from({ length: BURST }, async () => {
      const response = await request(`${url}/v3/aml/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ full_name: 'Jane Demo', date_of_birth: '1990-01-01' })
      })
      await response.body.dump()
      return response.statusCode
    })
  )
  for (const status of statuses) add(`answered ${status}`)
  process.stdout.write(`\nburst: ${BURST} POSTs at once, limit 10 per 1 s, maxWait 1.5 s\n\n`)
  const names = [...counts.keys()].sort()
  const pad = Math.max(...names.map((name) => name.length))
  for (const name of names) process.stdout.write(`  ${name.padEnd(pad)}  ${String(counts.get(name)).padStart(5)}\n`)
  process.stdout.write(`\nupstream received ${upstream.requests.length} requests\n`)
  await sidecar.close()
  await upstream.close()
}
