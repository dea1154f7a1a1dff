// Prometheus metrics, observed from events on an injected registry (tests get a fresh one).
// The only module that imports prom-client. Labels are bounded: route names come from the
// config, results are status codes or failure names, methods are the few that are routed.
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client'
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

  const requests = new Counter({
    name: `${PREFIX}requests_total`,
    help: 'Requests answered to clients, by final status code and outcome',
    labelNames: ['route', 'method', 'code', 'outcome'],
    registers
  })
  const requestDuration = new Histogram({
    name: `${PREFIX}request_duration_seconds`,
    help: 'Time from request to the end of the response, every attempt and wait included',
    labelNames: ['route', 'method', 'outcome'],
    buckets: DURATION_BUCKETS,
    registers
  })
  const attempts = new Counter({
    name: `${PREFIX}upstream_attempts_total`,
    help: 'Upstream attempts, by status code or failure (connect-failure, reset, timeout, tls, other)',
    labelNames: ['route', 'result'],
    registers
  })
  const attemptDuration = new Histogram({
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
  const keys = new Counter({
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
  const inFlight = new Gauge({
    name: `${PREFIX}in_flight_requests`,
    help: 'Requests accepted and not yet answered, waits for retries included',
    labelNames: ['route'],
    registers
  })
  const rateLimit = new Counter({
    name: `${PREFIX}rate_limit_total`,
    help: 'Rate-limit slot decisions (every attempt): admitted, delayed, rejected, upstream_429, store_error',
    labelNames: ['route', 'limit', 'result'],
    registers
  })
  const rateLimitWait = new Histogram({
    name: `${PREFIX}rate_limit_wait_seconds`,
    help: 'Waits for a rate-limit slot of requests that waited, then went',
    labelNames: ['route'],
    buckets: WAIT_BUCKETS,
    registers
  })
  // Zero series for every route, so that rate() and absence alerts work before the first event.
  for (const route of [...options.routes, 'default']) budgetExhausted.inc({ route }, 0)

  events.on('arrival', (e) => inFlight.inc({ route: e.route }))
  events.on('attempt', (e) => {
    attempts.inc({ route: e.route, result: e.result })
    attemptDuration.observe({ route: e.route, result: e.result }, e.durationMs / 1000)
  })
  events.on('retry', (e) => retries.inc({ route: e.route, reason: e.reason }))
  events.on('retrySkipped', (e) => skipped.inc({ route: e.route, reason: e.reason }))
  events.on('budgetExhausted', (e) => budgetExhausted.inc({ route: e.route }))
  events.on('bodyFailed', (e) => bodyFailures.inc({ route: e.route, reason: e.reason }))
  events.on('idempotencyKey', (e) => keys.inc({ route: e.route, source: e.source }))
  events.on('idempotency', (e) => idempotency.inc({ route: e.route, result: e.result }))
  events.on('rateLimit', (e) => {
    rateLimit.inc({ route: e.route, limit: e.limit, result: e.result })
    if (e.result === 'delayed') rateLimitWait.observe({ route: e.route }, e.waitMs / 1000)
  })
  events.on('response', (e) => {
    inFlight.dec({ route: e.route })
    const method = methodLabel(e.method)
    requests.inc({ route: e.route, method, code: String(e.status), outcome: e.outcome })
    requestDuration.observe({ route: e.route, method, outcome: e.outcome }, e.durationMs / 1000)
  })
}
