// One ioredis client with bounded behaviour, for stores that share state across replicas: no
// offline queue (nothing piles up while Redis is away), every command bounded by `timeout`, and
// reconnection in the background with a capped backoff. Same options as idempotency/redis-store.ts,
// which the lead will move onto this factory.
import { once } from 'node:events'
import { createRequire } from 'node:module'
import type { Redis } from 'ioredis'

// Required when a Redis store is made, so that a memory-only config never loads ioredis (issue 9).
const require = createRequire(import.meta.url)

export interface RedisOptions {
  url: string
  /** Bound on one operation, in ms: waiting for a connection included. */
  timeout: number
}

const RECONNECT_FIRST_DELAY = 50
const RECONNECT_MAX_DELAY = 1000

export function connectRedis(options: RedisOptions): Redis {
  const { Redis: Client } = require('ioredis') as typeof import('ioredis')
  const redis = new Client(options.url, {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.timeout,
    connectTimeout: options.timeout,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(RECONNECT_FIRST_DELAY * 2 ** Math.max(0, attempt - 1), RECONNECT_MAX_DELAY)
  })
  // Failures reach callers through `bounded`; without a listener ioredis would print them.
  redis.on('error', () => {})
  return redis
}

/**
 * Runs `fn` within `timeout` ms, waiting for a connection attempt in progress but failing at once
 * between attempts (no latency added while Redis is down). Any failure becomes a `StoreError`.
 */
export function bounded(
  redis: Redis,
  timeout: number,
  StoreError: new (message: string, options?: { cause?: unknown }) => Error
) {
  const toError = (message: string, cause?: unknown) => new StoreError(message, { cause })
  let ready: Promise<void> | undefined
  const connected = async (): Promise<void> => {
    const { status } = redis
    if (status === 'ready') return
    if (status !== 'connecting' && status !== 'connect') throw toError(`redis connection is ${status}`)
    // One listener per attempt, however many requests arrive meanwhile ('error' rejects it).
    ready ??= once(redis, 'ready')
      .then(() => {})
      .finally(() => {
        ready = undefined
      })
    await ready
  }
  return async function run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(toError(`redis ${operation} timed out after ${timeout} ms`)), timeout)
    })
    try {
      return await Promise.race([timedOut, connected().then(fn)])
    } catch (error) {
      if (error instanceof StoreError) throw error
      throw toError(`redis ${operation} failed: ${(error as Error).message}`, error)
    } finally {
      clearTimeout(timer)
    }
  }
}
