// Shared pieces of the rate-limit scenarios: a fake Didit that answers 200 on one path, the
// `rateLimit` section over memory or a fresh redis-server, the rate-limit metric summed over
// replicas, and the largest number of upstream arrivals in any window.
import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import type { FakeDidit } from '../../src/dev/fake-didit.js'
import { client } from '../helpers/client.js'
import { metric, startUpstream } from '../helpers/e2e.js'
import { type RedisServer, startRedis } from '../helpers/redis-server.js'
import { sample, startSidecar, type TestSidecar } from '../helpers/sidecar.js'
import { until } from '../idempotency-e2e/harness.js'

export { assertProblem, FAST_BACKOFF, metric, metricsAfter, problemOf } from '../helpers/e2e.js'

export const PATH = '/v3/aml/'

/** A fake Didit answering 200 to every POST on PATH (unless a test scripts more before). */
export async function upstream(t: Test): Promise<FakeDidit> {
  const didit = await startUpstream(t)
  didit.script({ method: 'POST', path: PATH }, { status: 200, body: { request_id: 'r' } }, { repeat: true })
  return didit
}

/** A fresh redis-server stopped in teardown; null after a skip notice when it is not installed (a failure in CI). */
export async function useRedis(t: Test): Promise<RedisServer | null> {
  const redis = await startRedis()
  if (redis === null) {
    if (process.env.CI === 'true') t.fail('redis-server is not installed: CI must provide it')
    else t.skip('redis-server is not installed', () => {})
    return null
  }
  t.teardown(() => redis.stop())
  return redis
}

/** The `rateLimit.store` section for a Redis under test, with a unique key prefix. */
export function redisStore(redis: RedisServer, overrides: Record<string, unknown> = {}) {
  return { type: 'redis', url: redis.url, keyPrefix: `rl:${randomUUID()}:`, timeout: '500ms', ...overrides }
}

/** One shared limit on POST, counted over `window`. */
export const writes = (limit: number, window: string) => [{ name: 'writes', methods: ['POST'], limit, window }]

const WARM_UP = { route: 'warm-up', path: '/warm-up/' }

/**
 * Replicas sharing one Redis, each warmed up: a probe (own route, own API key) until its limiter
 * reaches Redis, so that a scenario does not begin while the connection is still being made.
 * Didit's record of the probes is then cleared; rateLimitCount leaves the probes' route out.
 */
export async function startReplicas(
  t: Test,
  didit: FakeDidit,
  document: Record<string, unknown>,
  count = 2
): Promise<TestSidecar[]> {
  const routes = [{ name: WARM_UP.route, method: 'POST', path: WARM_UP.path }]
  const replicas: TestSidecar[] = []
  for (let i = 0; i < count; i++) replicas.push(await startSidecar(t, { ...document, routes }))
  const send = client(t)
  let probe = 0
  for (const replica of replicas) {
    await until(async () => {
      const before = rateLimitCount([await replica.metrics()], { result: 'store_error', route: WARM_UP.route })
      await send(`${replica.url}${WARM_UP.path}`, post(0, { 'x-api-key': `warm-up-${probe++}` }))
      return rateLimitCount([await replica.metrics()], { result: 'store_error', route: WARM_UP.route }) === before
    }, 'the limiter to reach Redis')
  }
  didit.requests.splice(0)
  return replicas
}

/** `didit_sidecar_rate_limit_total` summed over the given metrics texts (one per replica), warm-up probes left out. */
export function rateLimitCount(texts: readonly string[], labels: Record<string, string>): number {
  const name = metric('rate_limit_total')
  const probes = (text: string) =>
    labels.route === undefined ? sample(text, name, { ...labels, ...{ route: WARM_UP.route } }) : 0
  return texts.reduce((sum, text) => sum + sample(text, name, labels) - probes(text), 0)
}

export function metricsOf(replicas: readonly TestSidecar[]): Promise<string[]> {
  return Promise.all(replicas.map((replica) => replica.metrics()))
}

/** The most arrivals (ms timestamps) in any half-open interval [s, s + window). */
export function maxInWindow(times: readonly number[], window: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  for (const [i, start] of sorted.entries()) {
    let count = 0
    for (let j = i; j < sorted.length && (sorted[j] as number) < start + window; j++) count++
    most = Math.max(most, count)
  }
  return most
}

/** A JSON POST to PATH, numbered, with optional headers. */
export function post(n: number, headers: Record<string, string> = {}) {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: `{"n":${n}}` }
}
