// The sidecars' config for a chaos run (small timeouts, so that a full run takes a couple of minutes)
// and what the checks derive from it: each route's client deadline and retry budget.
import type { Config, RetryPolicy } from '../../config/schema.js'

/** The config file both sidecars load; listeners on loopback port 0. */
export function chaosDocument(upstream: string, redisUrl: string): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    upstream: {
      url: upstream,
      apiKey: 'chaos-api-key',
      connectTimeout: '300ms',
      connections: 64,
      // Short, so that a stalled body is cut well within the clients' deadlines.
      bodyIdleTimeout: '500ms'
    },
    // Off: on by default with Didit's 300 writes/min per API key, it would refuse most of a run
    // that sends thousands of POSTs a minute with one key; the run tests faults, not the limiter.
    rateLimit: { enabled: false },
    // info: the CLI's `ready` line carries the listener addresses.
    log: { level: 'info' },
    shutdown: { delay: '0s', drainTimeout: '3s' },
    idempotency: {
      store: {
        type: 'redis',
        url: redisUrl,
        keyPrefix: 'chaos:',
        ttl: '10m',
        // Shorter than the route timeout: a live owner must keep its claim longer than lockTtl.
        lockTtl: '2s',
        timeout: '200ms',
        // The strict setting: a store failure never sends a request upstream without deduplication,
        // so "never two side effects for one key" must hold without exception.
        onStoreError: 'reject'
      },
      concurrent: 'wait',
      waitTimeout: '2s',
      pollInterval: '25ms'
    },
    retry: {
      maxAttempts: 4,
      perTryTimeout: '400ms',
      timeout: '2500ms',
      backoff: { base: '20ms', max: '200ms', jitter: 'full' },
      retryAfter: { honour: true, max: '1500ms' },
      budget: { ratio: 0.2, minPerSecond: 10, window: '10s' }
    },
    routes: [
      // Deduplicated by vendor_data at Didit: ambiguous failures are retried.
      { name: 'session-create', method: 'POST', path: '/v3/session/', retry: { idempotent: true } },
      { name: 'session-list', method: 'GET', path: '/v3/sessions/' },
      // Billed per 200: only connect failures, 429 and 503 are retried.
      { name: 'aml', method: 'POST', path: '/v3/aml/' },
      { name: 'database-validation', method: 'POST', path: '/v3/database-validation/' }
    ]
  }
}

/** The policy of a route by name ('default' for the top-level one). */
export function policyOf(config: Config, route: string): RetryPolicy {
  return config.routes.find((r) => r.name === route)?.policy ?? config.retry
}

/**
 * How long a client waits for a complete answer: the route's timeout (or a duplicate's waitTimeout,
 * if longer), one store call before and one after (each bounded by store.timeout), and a margin.
 */
export function deadlineMs(config: Config, route: string, marginMs: number): number {
  const { idempotency } = config
  const timeout = Math.max(policyOf(config, route).timeout, idempotency.waitTimeout)
  return timeout + 2 * idempotency.store.timeout + marginMs
}
