// Shared pieces of the rate-limit scenarios: a fake Didit that answers 200 on one path, the
// `rateLimit` section over memory or a fresh redis-server, the rate-limit metric summed over
// replicas, and the largest number of upstream arrivals in any window.
import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import type { FakeDidit } from '../../src/dev/fake-didit.js'
import { metric, startUpstream } from '../helpers/e2e.js'
import { type RedisServer, startRedis } from '../helpers/redis-server.js'
import { sample, type TestSidecar } from '../helpers/sidecar.js'

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

/** `didit_sidecar_rate_limit_total` summed over the given metrics texts (one per replica). */
export function rateLimitCount(texts: readonly string[], labels: Record<string, string>): number {
  return texts.reduce((sum, text) => sum + sample(text, metric('rate_limit_total'), labels), 0)
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
