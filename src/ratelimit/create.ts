// The limiter that `rateLimit` configures: none when disabled (no store, no connection), else over
// the memory store or one Redis connection of its own.
import type { Config } from '../config/schema.js'
import type { Events } from '../observe/events.js'
import { connectRedis } from '../redis/connect.js'
import { RateLimiter } from './limiter.js'
import { MemoryRateLimitStore } from './memory-store.js'
import { RedisRateLimitStore } from './redis-store.js'

export function createRateLimiter(
  config: Config['rateLimit'],
  deps: { events: Events; now(): number; wallClock(): number }
): RateLimiter | null {
  if (!config.enabled) return null
  const { store } = config
  const backend =
    store.type === 'memory'
      ? new MemoryRateLimitStore(deps.now)
      : new RedisRateLimitStore(connectRedis({ url: store.url, timeout: store.timeout }), store)
  return new RateLimiter(config, { ...deps, store: backend })
}
