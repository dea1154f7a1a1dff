// Every dashboard query and every alert expression runs on a real Prometheus that scraped real
// sidecars under load through the fake Didit with faults: each parses, and each returns series
// (an alert's condition without its threshold), and every didit_sidecar_* family has series.
// Families the sidecar does not export yet (PENDING_FAMILIES) only have to parse. The rule files
// load and evaluate without error.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { client } from '../helpers/client.js'
import { FAST_BACKOFF } from '../helpers/e2e.js'
import { startPrometheus } from '../helpers/prometheus.js'
import { freePort } from '../helpers/redis-server.js'
import { startSidecar } from '../helpers/sidecar.js'
import { refusingUrl } from '../retry-e2e/harness.js'
import {
  ALERTS_FILE,
  alertRules,
  dashboard,
  dashboardQueries,
  familiesOf,
  instantiate,
  PENDING_FAMILIES,
  withoutThreshold
} from './queries.js'

// aml's own limit is far below the load, so that its requests wait for slots or are refused.
const ROUTES = [
  { name: 'session-create', method: 'POST', path: '/v3/session/' },
  { name: 'session-list', method: 'GET', path: '/v3/sessions/' },
  { name: 'session-decision', method: 'GET', path: '/v3/session/:id/decision/' },
  { name: 'aml', method: 'POST', path: '/v3/aml/', rateLimit: { limit: 1, window: '200ms' } }
]
/**
 * Shared limits the load never reaches, in windows short enough that a pause learnt from one of
 * Didit's 429s (at most one window) delays requests rather than refusing them all.
 */
const RATE_LIMIT = {
  maxWait: '100ms',
  margin: '0ms',
  limits: [
    { name: 'writes', methods: ['POST'], limit: 100_000, window: '100ms' },
    { name: 'reads', methods: ['GET'], limit: 100_000, window: '100ms' }
  ]
}

/** A seeded generator (mulberry32): the same faults on every run. */
function seeded(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32
  }
}

t.test('dashboard queries and alert expressions on a real Prometheus', async (t) => {
  const didit = await startFakeDidit({
    faults: { ratio: 0.5, mix: { '503': 4, '429': 1, '500': 1, reset: 1, slow: 1 }, slowMs: 30 },
    random: seeded(7)
  })
  t.teardown(() => didit.close())
  // Small budgets so that refusals happen; a short retryAfter.max so that 429s are skipped.
  const retry = { backoff: FAST_BACKOFF, retryAfter: { max: '100ms' }, budget: { ratio: 0.1, minPerSecond: 0.5 } }
  // Decisions stall mid-body: cut by bodyIdleTimeout, counted in upstream_body_failures_total.
  didit.script(
    { method: 'GET', path: /\/decision\/$/ },
    { body: { decision: 'x'.repeat(4096) }, action: 'stall' },
    { repeat: true }
  )
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url, bodyIdleTimeout: '100ms' },
    retry,
    rateLimit: RATE_LIMIT,
    routes: ROUTES
  })
  // A second sidecar whose Didit and Redis refuse connections: the unreachable alert's series,
  // and the store errors of both stores (which pass, and limit locally, meanwhile).
  const deadRedis = { type: 'redis', url: `redis://127.0.0.1:${await freePort()}` }
  const cutOff = await startSidecar(t, {
    upstream: { url: await refusingUrl() },
    retry,
    idempotency: { store: deadRedis },
    rateLimit: { ...RATE_LIMIT, store: deadRedis },
    routes: ROUTES
  })

  const prometheus = await startPrometheus(t, {
    job: 'didit-sidecar',
    ruleFiles: [ALERTS_FILE],
    // The labels a PodMonitor would add, so that the dashboard's variables have values.
    targets: [sidecar, cutOff].map((s, i) => ({
      address: new URL(s.adminUrl).host,
      labels: { namespace: 'apps', pod: `demo-${i}` }
    }))
  })

  const send = client(t)
  // A credential, so that idempotency keys are scoped (and deduplicated) and limits counted per key.
  const json = { 'content-type': 'application/json', 'x-api-key': 'dashboard-test' }
  const load = async (base: string, i: number) => {
    await send(`${base}/v3/sessions/`)
    await send(`${base}/v3/aml/`, { method: 'POST', headers: json, body: JSON.stringify({ full_name: `n${i}` }) })
    const key = { ...json, 'idempotency-key': `job-${i % 5}` }
    // The same key: new, then replayed or coalesced; with another body, a mismatch.
    await send(`${base}/v3/session/`, { method: 'POST', headers: key, body: '{"workflow_id":"w"}' })
    await send(`${base}/v3/session/`, { method: 'POST', headers: key, body: `{"workflow_id":"w${i % 2}"}` })
  }
  // Load over several scrapes, so that rate() has increases to work on.
  const until = Date.now() + 4000
  const stalled: Array<Promise<unknown>> = []
  for (let i = 0; Date.now() < until; i++) {
    // A stalled answer breaks the client's response: not awaited here, so that the load goes on.
    if (i % 10 === 0)
      stalled.push(send(`${sidecar.url}/v3/session/s${i}/decision/`, { headers: json }).catch(() => null))
    await Promise.all([load(sidecar.url, i), load(sidecar.url, i + 1000), i % 4 === 0 ? load(cutOff.url, i) : null])
    await sleep(20)
  }
  await Promise.all(stalled)
  const loaded = Date.now()

  const types = [...(await sidecar.metrics()).matchAll(/^# TYPE (didit_sidecar_\w+) (\w+)$/gm)]
  const exported = new Set(types.map((match) => match[1] as string))
  const histograms = new Set(types.filter((match) => match[2] === 'histogram').map((match) => match[1] as string))
  const pending = (expr: string) => familiesOf(expr, histograms).filter((family) => !exported.has(family))

  // Scrapes and rule evaluations run on their own schedule on a busy machine: a query gets a few
  // seconds to return series, and a wrong one never does.
  const eventually = async (promql: string) => {
    for (;;) {
      const answer = await prometheus.query(promql)
      if (answer.status !== 'success' || (answer.data?.result.length ?? 0) > 0 || Date.now() > loaded + 15_000)
        return answer
      await sleep(250)
    }
  }

  for (const { panel, expr } of dashboardQueries()) {
    const promql = instantiate(expr)
    const answer = await eventually(promql)
    t.equal(answer.status, 'success', `panel ${panel}: parses and runs (${answer.error ?? ''})`)
    const missing = pending(expr)
    if (missing.length > 0) {
      t.ok(
        missing.every((family) => PENDING_FAMILIES.includes(family)),
        `panel ${panel}: reads families not exported yet, all of them pending (${missing.join(', ')})`
      )
      continue
    }
    t.ok((answer.data?.result.length ?? 0) > 0, `panel ${panel}: returns series\n  ${promql}`)
  }

  // Every family has series: the load and the faults above reach every metric the sidecar has.
  const withSeries = new Set<string>()
  while ([...exported].some((family) => !withSeries.has(family)) && Date.now() < loaded + 15_000) {
    const names = await prometheus.query('count by (__name__) ({__name__=~"didit_sidecar_.+", job="didit-sidecar"})')
    for (const series of names.data?.result ?? [])
      for (const family of familiesOf(series.metric.__name__ ?? '', histograms)) withSeries.add(family)
    await sleep(250)
  }
  for (const family of exported) t.ok(withSeries.has(family), `${family} has series`)

  // The dashboard's variables: label_values(selector, label) as PromQL that groups by the label.
  for (const variable of dashboard().templating.list.filter((v) => v.type === 'query')) {
    const definition = (variable.query as { query: string }).query
    const [, selector, label] = /^label_values\((.+), (\w+)\)$/.exec(definition) ?? []
    t.ok(selector && label, `variable ${variable.name}: label_values(selector, label)`)
    const answer = await eventually(instantiate(`count by (${label}) (${selector})`))
    const values = (answer.data?.result ?? []).map((series) => series.metric[label as string]).filter(Boolean)
    t.ok(values.length > 0, `variable ${variable.name}: has values (${values.join(', ')})`)
  }

  for (const rule of alertRules()) {
    const full = await prometheus.query(rule.expr)
    t.equal(full.status, 'success', `alert ${rule.alert}: parses and runs (${full.error ?? ''})`)
    const condition = withoutThreshold(rule.expr)
    const answer = await eventually(condition)
    t.ok((answer.data?.result.length ?? 0) > 0, `alert ${rule.alert}: its condition returns series\n  ${condition}`)
  }

  type Rules = { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } }
  const rules = (await prometheus.api<Rules>('/api/v1/rules')).data.groups.flatMap((group) => group.rules)
  t.same(
    rules.map((rule) => rule.name).sort(),
    alertRules()
      .map((rule) => rule.alert)
      .sort(),
    'every rule loaded'
  )
  for (const rule of rules) t.equal(rule.health, 'ok', `rule ${rule.name} evaluates (${rule.lastError ?? ''})`)
})
