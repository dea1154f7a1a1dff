// Shared pieces of the idempotency scenarios: the `idempotency.store` section for each store type
// (memory, or a fresh real redis-server with a unique key prefix), the idempotency metric read once
// requests have been counted, problem+json checks, and polling waits instead of fixed sleeps.
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import type { ClientResponse } from '../helpers/client.js'
import { type RedisServer, startRedis } from '../helpers/redis-server.js'
import { sample } from '../helpers/sidecar.js'

export { assertProblem, FAST_BACKOFF, metric, metricsAfter, problemOf, startUpstream } from '../helpers/e2e.js'

export type StoreType = 'memory' | 'redis'
/** Every behavioural scenario runs once per store type (issue 4: "the same behavioural suite"). */
export const STORE_TYPES: readonly StoreType[] = ['memory', 'redis']

export interface StoreUnderTest {
  type: StoreType
  /** The `idempotency.store` section of a config document. */
  config: Record<string, unknown>
  /** The store's own redis-server; null for the memory store. */
  redis: RedisServer | null
  /** Every key in that Redis, prefix included, with its raw value (empty for the memory store). */
  dump(): Promise<Map<string, string>>
}

/**
 * The store of one scenario. Redis: a fresh redis-server stopped in teardown and a unique key
 * prefix; when the binary is missing, null after a one-line skip notice (a failure in CI).
 */
export async function useStore(
  t: Test,
  type: StoreType,
  overrides: Record<string, unknown> = {}
): Promise<StoreUnderTest | null> {
  if (type === 'memory') return { type, config: { type, ...overrides }, redis: null, dump: async () => new Map() }
  const redis = await startRedis()
  if (redis === null) {
    if (process.env.CI === 'true') t.fail('redis-server is not installed: CI must provide it')
    else t.skip('Redis variant: redis-server is not installed', () => {})
    return null
  }
  t.teardown(() => redis.stop())
  let inspector: Redis | undefined
  t.teardown(() => inspector?.disconnect())
  return {
    type,
    config: { type, url: redis.url, keyPrefix: `e2e:${randomUUID()}:`, timeout: '1s', ...overrides },
    redis,
    dump: async () => {
      inspector ??= new Redis(redis.url, { maxRetriesPerRequest: 1 }).on('error', () => {})
      const entries = new Map<string, string>()
      for (const key of await inspector.keys('*')) entries.set(key, (await inspector.get(key)) ?? '')
      return entries
    }
  }
}

import { metric } from '../helpers/e2e.js'

/** `didit_sidecar_idempotency_total` for one result, summed over routes unless `route` is given. */
export function idempotencyCount(text: string, result: string, route?: string): number {
  return sample(text, metric('idempotency_total'), route === undefined ? { result } : { result, route })
}

/** Polls `condition` every 5 ms; throws after `timeoutMs` (generous: a bound against hanging, not a speed test). */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000
): Promise<void> {
  const give = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > give) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** A promise with a flag telling whether it has settled yet. */
export function tracked<T>(promise: Promise<T>): { promise: Promise<T>; done(): boolean } {
  let settled = false
  const watched = promise.finally(() => {
    settled = true
  })
  return { promise: watched, done: () => settled }
}

/** Whether the sidecar marked the answer as a replay (Stripe's header). */
export const replayed = (response: ClientResponse) => response.headers['idempotent-replayed'] === 'true'

/** The caller's credential on `post`: only a caller with credentials has its keys deduplicated. */
export const E2E_API_KEY = 'e2e-tenant-api-key'

/** A JSON POST with a client key, from a caller with an x-api-key (`headers` may replace it). */
export function post(key: string | undefined, body: string, headers: Record<string, string> = {}) {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': E2E_API_KEY,
      ...(key === undefined ? {} : { 'idempotency-key': key }),
      ...headers
    },
    body
  }
}
