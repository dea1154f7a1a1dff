// Prometheus metrics, observed from events on an injected registry (tests get a fresh one).
// The only module that imports prom-client. Labels are bounded: route names come from the
// config, results are status codes or failure names, methods are the few that are routed.
import {
  Counter,
  type CounterConfiguration,
  collectDefaultMetrics,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  type LabelValues,
  type Registry
} from 'prom-client'
import type { Events } from './events.js'

const PREFIX = 'didit_sidecar_'
// Seconds; Didit's slow endpoints (proof of address, AML, PDF) take up to about two minutes.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
// Seconds; a rate-limit wait is bounded by rateLimit.maxWait (2 s by default).
const WAIT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30]
// Node's parser accepts some 30 methods (WebDAV, RTSP...); those refused with 405 count as `other`.
const METHOD_LABELS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
const methodLabel = (method: string) => (METHOD_LABELS.has(method) ? method : 'other')

export interface MetricsOptions {
  routes: readonly string[]
  version: string
}

export function observeMetrics(registry: Registry, events: Events, options: MetricsOptions): void {
  collectDefaultMetrics({ register: registry })
  const registers = [registry]

  const build = new Gauge({
    name: `${PREFIX}build_info`,
    help: 'Version of the running sidecar',
    labelNames: ['version'],
    registers
  })
  build.set({ version: options.version }, 1)

  const requests = tally({
    name: `${PREFIX}requests_total`,
    help: 'Requests answered to clients, by final status code and outcome',
    labelNames: ['route', 'method', 'code', 'outcome'],
    registers
  })
  const requestDuration = spread({
    name: `${PREFIX}request_duration_seconds`,
    help: 'Time from request to the end of the response, every attempt and wait included',
    labelNames: ['route', 'method', 'outcome'],
    buckets: DURATION_BUCKETS,
    registers
  })
  const attempts = tally({
    name: `${PREFIX}upstream_attempts_total`,
    help: 'Upstream attempts, by status code or failure (connect-failure, reset, timeout, tls, other)',
    labelNames: ['route', 'result'],
    registers
  })
  const attemptDuration = spread({
    name: `${PREFIX}upstream_attempt_duration_seconds`,
    help: 'Time from sending an attempt to its response head or failure',
    labelNames: ['route', 'result'],
    buckets: DURATION_BUCKETS,
    registers
  })
  const retries = new Counter({
    name: `${PREFIX}retries_total`,
    help: 'Retries started, by the condition that caused them',
    labelNames: ['route', 'reason'],
    registers
  })
  const skipped = new Counter({
    name: `${PREFIX}retries_skipped_total`,
    help: 'Retryable failures not retried: body_too_large, buffer_budget, deadline, retry_after, client_gone',
    labelNames: ['route', 'reason'],
    registers
  })
  const budgetExhausted = new Counter({
    name: `${PREFIX}retry_budget_exhausted_total`,
    help: "Retries refused by the route's retry budget",
    labelNames: ['route'],
    registers
  })
  const bodyFailures = new Counter({
    name: `${PREFIX}upstream_body_failures_total`,
    help: 'Upstream response bodies that failed after their head: timeout (bodyIdleTimeout), reset, protocol, other, discarded (a retried answer cut at the deadline)',
    labelNames: ['route', 'reason'],
    registers
  })
  const keys = tally({
    name: `${PREFIX}idempotency_keys_total`,
    help: 'Idempotency keys on forwarded requests, by source (client or generated)',
    labelNames: ['route', 'source'],
    registers
  })
  const idempotency = new Counter({
    name: `${PREFIX}idempotency_total`,
    help: 'Idempotency store decisions: new, replayed, coalesced, conflict, mismatch, store_error, unscoped',
    labelNames: ['route', 'result'],
    registers
  })
  const inFlight = level({
    name: `${PREFIX}in_flight_requests`,
    help: 'Requests accepted and not yet answered, waits for retries included',
    labelNames: ['route'],
    registers
  })
  const rateLimit = tally({
    name: `${PREFIX}rate_limit_total`,
    help: 'Rate-limit slot decisions (every attempt): admitted, delayed, rejected, upstream_429, store_error',
    labelNames: ['route', 'limit', 'result'],
    registers
  })
  const rateLimitWait = spread({
    name: `${PREFIX}rate_limit_wait_seconds`,
    help: 'Waits for a rate-limit slot of requests that waited, then went',
    labelNames: ['route'],
    buckets: WAIT_BUCKETS,
    registers
  })
  // Zero series for every route, so that rate() and absence alerts work before the first event.
  for (const route of [...options.routes, 'default']) budgetExhausted.inc({ route }, 0)

  events.on('arrival', (e) => inFlight.add(1, e.route))
  events.on('attempt', (e) => {
    attempts.add(1, e.route, e.result)
    attemptDuration.observe(e.durationMs / 1000, e.route, e.result)
  })
  events.on('retry', (e) => retries.inc({ route: e.route, reason: e.reason }))
  events.on('retrySkipped', (e) => skipped.inc({ route: e.route, reason: e.reason }))
  events.on('budgetExhausted', (e) => budgetExhausted.inc({ route: e.route }))
  events.on('bodyFailed', (e) => bodyFailures.inc({ route: e.route, reason: e.reason }))
  events.on('idempotencyKey', (e) => keys.add(1, e.route, e.source))
  events.on('idempotency', (e) => idempotency.inc({ route: e.route, result: e.result }))
  events.on('rateLimit', (e) => {
    rateLimit.add(1, e.route, e.limit, e.result)
    if (e.result === 'delayed') rateLimitWait.observe(e.waitMs / 1000, e.route)
  })
  events.on('response', (e) => {
    inFlight.add(-1, e.route)
    const method = methodLabel(e.method)
    requests.add(1, e.route, method, e.status, e.outcome)
    requestDuration.observe(e.durationMs / 1000, e.route, method, e.outcome)
  })
}

/**
 * Series updated on every request keep their values in plain cells, one per label set, found
 * through nested Maps by the label values themselves; prom-client gets them when it collects (on
 * every scrape, so /metrics is exact). Its own inc() hashes and checks a label object each time:
 * with the gauge, about 6 % of a request's CPU in the bench (docs/benchmarks.md); its observe()
 * does the same, about 4 % more with the histograms.
 */
interface Cell<L extends string> {
  labels: LabelValues<L>
  value: number
}

/** Cells of any shape, one per label set, in the order their label sets were first seen. */
class LabelTree<L extends string, C extends { labels: LabelValues<L> }> {
  #root = new Map<unknown, unknown>()
  readonly cells: C[] = []
  constructor(
    private readonly labelNames: readonly L[],
    private readonly make: (labels: LabelValues<L>) => C
  ) {}

  /** The cell of these label values, given in `labelNames` order; made on first use. */
  find(values: ReadonlyArray<string | number>): C {
    let node = this.#root
    const last = values.length - 1
    for (let i = 0; i < last; i++) {
      let next = node.get(values[i]) as Map<unknown, unknown> | undefined
      if (next === undefined) {
        next = new Map()
        node.set(values[i], next)
      }
      node = next
    }
    let cell = node.get(values[last]) as C | undefined
    if (cell === undefined) {
      const labels = Object.fromEntries(this.labelNames.map((name, i) => [name, String(values[i])])) as LabelValues<L>
      cell = this.make(labels)
      this.cells.push(cell)
      node.set(values[last], cell)
    }
    return cell
  }

  clear(): void {
    this.#root = new Map()
    this.cells.length = 0
  }
}

class Cells<L extends string> extends LabelTree<L, Cell<L>> {
  constructor(labelNames: readonly L[]) {
    super(labelNames, (labels) => ({ labels, value: 0 }))
  }

  /** Adds `n` to the cell of these label values, given in `labelNames` order. */
  add(n: number, ...values: Array<string | number>): void {
    this.find(values).value += n
  }
}

/**
 * A histogram's cell holds its label set's whole state, not deltas since the last scrape: the
 * sum is then added up in the same order as prom-client's own, to the same last bit.
 */
interface Spread<L extends string> {
  labels: LabelValues<L>
  /** Observations per bucket, not cumulative; the last slot is above the largest bound (only in +Inf). */
  buckets: number[]
  sum: number
  count: number
}

class Spreads<L extends string> extends LabelTree<L, Spread<L>> {
  constructor(
    labelNames: readonly L[],
    readonly bounds: readonly number[]
  ) {
    super(labelNames, (labels) => ({ labels, buckets: new Array(bounds.length + 1).fill(0), sum: 0, count: 0 }))
  }

  /**
   * Records `value` in the cell of these label values, given in `labelNames` order. A value that
   * is not finite is dropped: prom-client threw on it (out of the event's emit, into the request).
   */
  observe(value: number, ...values: Array<string | number>): void {
    if (!Number.isFinite(value)) return
    const cell = this.find(values)
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > (bounds[i] as number)) i++
    cell.buckets[i] = (cell.buckets[i] as number) + 1
    cell.sum += value
    cell.count += 1
  }
}

/** The part of prom-client 15's Histogram that its getForPromString() reads (lib/histogram.js). */
interface HistogramEntries {
  hashMap: Record<string, { labels: object; bucketValues: Record<number, number>; sum: number; count: number }>
}

/** A counter whose increments wait in cells until collected. */
function tally<L extends string>(config: Omit<CounterConfiguration<L>, 'collect'> & { labelNames: readonly L[] }) {
  const cells = new Cells(config.labelNames)
  new Counter<L>({
    ...config,
    collect() {
      for (const cell of cells.cells) {
        if (cell.value === 0) continue
        this.inc(cell.labels, cell.value)
        cell.value = 0
      }
    }
  })
  return cells
}

/** A gauge whose level lives in cells and is set when collected. */
function level<L extends string>(config: Omit<GaugeConfiguration<L>, 'collect'> & { labelNames: readonly L[] }) {
  const cells = new Cells(config.labelNames)
  new Gauge<L>({
    ...config,
    collect() {
      for (const cell of cells.cells) this.set(cell.labels, cell.value)
    }
  })
  return cells
}

/**
 * A histogram whose observations wait in cells. prom-client has no API to add counted buckets, so
 * collect() rebuilds the Histogram's entries (internal: test/observe/histogram-cells pins the
 * exposition against prom-client's own observe()), and prom-client still writes the text.
 */
function spread<L extends string>(
  config: Omit<HistogramConfiguration<L>, 'collect'> & { labelNames: readonly L[]; buckets: number[] }
) {
  const cells = new Spreads(config.labelNames, config.buckets)
  const histogram = new Histogram<L>({
    ...config,
    collect() {
      const entries: HistogramEntries['hashMap'] = {}
      // Keys only need to be unique and not integer-like: prom-client reads the entries in insertion order.
      cells.cells.forEach((cell, i) => {
        const bucketValues: Record<number, number> = {}
        cells.bounds.forEach((bound, b) => {
          bucketValues[bound] = cell.buckets[b] as number
        })
        entries[`#${i}`] = { labels: cell.labels, bucketValues, sum: cell.sum, count: cell.count }
      })
      ;(this as unknown as HistogramEntries).hashMap = entries
    }
  })
  // resetMetrics() empties prom-client's entries; the cells hold the same state, so they go too.
  const reset = histogram.reset
  histogram.reset = function (this: Histogram<L>) {
    reset.call(this)
    cells.clear()
  }
  return cells
}
