// The per-request histograms record in cells and rebuild prom-client's entries when it collects:
// their exposition (text and JSON) must be byte for byte what prom-client's own Histogram gives for
// the same observations, across scrapes (nothing lost or counted twice) and resetMetrics().
import { Histogram, Registry as PromRegistry, type Registry } from 'prom-client'
import t, { type Test } from 'tap'
import { Events } from '../../src/observe/events.js'
import { observeMetrics } from '../../src/observe/metrics.js'

const FAMILIES = {
  response: 'didit_sidecar_request_duration_seconds',
  attempt: 'didit_sidecar_upstream_attempt_duration_seconds',
  wait: 'didit_sidecar_rate_limit_wait_seconds'
} as const

/** The fields of prom-client's Histogram that configure it (they are not in its typings). */
interface HistogramShape {
  help: string
  labelNames: string[]
  upperBounds: number[]
  observe: (...args: unknown[]) => void
}

function setup() {
  const events = new Events()
  const registry = new PromRegistry()
  observeMetrics(registry, events, { routes: ['session', 'decision'], version: 'test' })
  // The reference: prom-client's own Histograms, configured like the sidecar's, on their own registry.
  const reference = new PromRegistry()
  const ref = Object.fromEntries(
    Object.entries(FAMILIES).map(([key, name]) => {
      const live = registry.getSingleMetric(name) as unknown as HistogramShape
      const histogram = new Histogram({
        name,
        help: live.help,
        labelNames: live.labelNames,
        buckets: [...live.upperBounds],
        registers: [reference]
      })
      return [key, histogram]
    })
  ) as Record<keyof typeof FAMILIES, Histogram>
  return { events, registry, reference, ref }
}

type Setup = ReturnType<typeof setup>

/** One response, one attempt and, when `waitMs` is given, one rate-limit wait, fed to both sides. */
function feed(
  s: Setup,
  route: string,
  method: string,
  outcome: 'completed' | 'exhausted',
  ms: number,
  waitMs?: number
) {
  const base = { route, requestId: 'r' }
  s.events.emit('attempt', { ...base, attempt: 1, result: outcome === 'completed' ? '200' : 'timeout', durationMs: ms })
  s.ref.attempt.observe({ route, result: outcome === 'completed' ? '200' : 'timeout' }, ms / 1000)
  if (waitMs !== undefined) {
    s.events.emit('rateLimit', { ...base, limit: 'global', result: 'delayed', waitMs })
    s.ref.wait.observe({ route }, waitMs / 1000)
  }
  s.events.emit('rateLimit', { ...base, limit: 'global', result: 'admitted', waitMs: 0 })
  s.events.emit('response', { ...base, method, status: 200, outcome, durationMs: ms, attempts: 1, path: '/' })
  s.ref.response.observe({ route, method: method === 'PROPFIND' ? 'other' : method, outcome }, ms / 1000)
}

async function same(t: Test, s: Setup, when: string) {
  const json = async (registry: Registry) =>
    JSON.stringify(
      (await registry.getMetricsAsJSON()).filter((m) => (Object.values(FAMILIES) as string[]).includes(m.name))
    )
  for (const name of Object.values(FAMILIES)) {
    const ours = await s.registry.getSingleMetricAsString(name)
    t.equal(ours, await s.reference.getSingleMetricAsString(name), `${name} text ${when}`)
  }
  t.equal(await json(s.registry), await json(s.reference), `JSON ${when}`)
}

// Bucket boundaries in ms (5 ms is the first bound, 120 s the last), 0, above the largest bound,
// and values whose sum depends on the order of addition (0.1 + 0.2 + 0.3).
const FIRST = [0, 5, 10, 100, 250, 120_000, 120_001, 100, 200, 300, 0.001, 7, 2500]
const SECOND = [300, 200, 100, 5, 60_000, 1_000_000, 0]

t.test('the same observations give the same exposition as prom-client, scrape after scrape', async (t) => {
  const s = setup()
  await same(t, s, 'before any observation')
  FIRST.forEach((ms, i) => {
    feed(s, 'session', 'POST', 'completed', ms, i % 3 === 0 ? ms / 10 : undefined)
    feed(s, 'decision', i % 2 ? 'GET' : 'PROPFIND', i % 4 ? 'completed' : 'exhausted', ms)
  })
  await same(t, s, 'after the first batch')

  // Second batch after a scrape: existing label sets grow and new ones appear after them.
  for (const ms of SECOND) {
    feed(s, 'decision', 'GET', 'completed', ms, ms)
    feed(s, 'default', 'DELETE', 'exhausted', ms)
    feed(s, 'session', 'POST', 'completed', ms)
  }
  await same(t, s, 'after the second batch')
  await same(t, s, 'on a scrape with nothing new (nothing counted twice)')
  const text = await s.registry.getSingleMetricAsString(FAMILIES.response)
  t.match(text, /request_duration_seconds_count\{route="session",method="POST",outcome="completed"\} 20\n/)
  t.match(text, /request_duration_seconds_bucket\{le="\+Inf",route="default",method="DELETE",outcome="exhausted"\} 7\n/)
})

t.test('resetMetrics() empties both, and label sets come back in their new order', async (t) => {
  const s = setup()
  for (const ms of FIRST) feed(s, 'session', 'POST', 'completed', ms, ms)
  feed(s, 'decision', 'GET', 'completed', 10)
  await same(t, s, 'before the reset')
  // Observations after the last scrape and before the reset must go with it.
  feed(s, 'session', 'POST', 'completed', 42, 42)
  s.registry.resetMetrics()
  s.reference.resetMetrics()
  await same(t, s, 'right after the reset')
  feed(s, 'decision', 'GET', 'completed', 10)
  for (const ms of SECOND) feed(s, 'session', 'POST', 'exhausted', ms, ms)
  await same(t, s, 'after the reset')
  const text = await s.registry.getSingleMetricAsString(FAMILIES.response)
  t.ok(text.indexOf('route="decision"') < text.indexOf('route="session"'), 'first seen after the reset, first listed')
})

t.test('a value that is not finite is dropped, not thrown into the request or summed', async (t) => {
  const s = setup()
  feed(s, 'session', 'POST', 'completed', 10)
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    const event = { route: 'session', requestId: 'r', method: 'POST', status: 200, attempts: 1, path: '/' }
    t.doesNotThrow(() => s.events.emit('response', { ...event, outcome: 'completed', durationMs: bad }))
    // A label set seen only with a bad value does not appear at all.
    t.doesNotThrow(() => s.events.emit('response', { ...event, outcome: 'exhausted', durationMs: bad }))
  }
  await same(t, s, 'with non-finite values dropped')
})

t.test("the hot path never calls prom-client's observe()", async (t) => {
  const s = setup()
  let calls = 0
  for (const name of Object.values(FAMILIES)) {
    const live = s.registry.getSingleMetric(name) as unknown as HistogramShape
    const observe = live.observe
    live.observe = (...args) => {
      calls++
      observe.apply(live, args)
    }
  }
  for (const ms of FIRST) feed(s, 'session', 'POST', 'completed', ms, ms)
  t.equal(calls, 0, 'observations wait in cells until a scrape')
  await same(t, s, 'without observe()')
})
