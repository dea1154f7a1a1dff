// The store shared by replicas: per scope and limit, a sorted set of slot times (the sliding-window
// log) and a pause key. One Lua script checks every limit of a request and takes the slot in all of
// them at once, so the decision is atomic across replicas; the clock is Redis's own (TIME), so
// replicas' clocks never disagree. The rule is window.ts's earliestSlot, kept in step by
// test/ratelimit/store-behaviour.ts. Keys share a hash tag per scope, for Redis Cluster.
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { bounded } from '../redis/connect.js'
import type { SlotLimit } from './limits.js'
import { type Acquired, type RateLimitStore, RateLimitStoreError } from './store.js'

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`
// KEYS: log and pause key per limit. ARGV: maxWait, member, then limit and window per limit.
const ACQUIRE = `${NOW}local maxWait, member = tonumber(ARGV[1]), ARGV[2]
local at, decided = now, 0
for i = 1, #KEYS / 2 do
  local log, limit, window = KEYS[2 * i - 1], tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
  local free = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  local latest = redis.call('ZRANGE', log, -1, -1, 'WITHSCORES')[2]
  if latest and tonumber(latest) > free then free = tonumber(latest) end
  local count = redis.call('ZCARD', log)
  if count >= limit then
    local oldest = tonumber(redis.call('ZRANGE', log, count - limit, count - limit, 'WITHSCORES')[2]) + window
    if oldest > free then free = oldest end
  end
  if free > at then at, decided = free, i end
end
if at - now > maxWait then return {0, at - now, decided} end
for i = 1, #KEYS / 2 do
  redis.call('ZADD', KEYS[2 * i - 1], at, member)
  redis.call('PEXPIRE', KEYS[2 * i - 1], at - now + tonumber(ARGV[2 + 2 * i]))
end
return {1, at - now, decided}`
// KEYS: pause keys. ARGV: ms.
const PAUSE = `${NOW}local ms = tonumber(ARGV[1])
for i = 1, #KEYS do
  if now + ms > tonumber(redis.call('GET', KEYS[i]) or '0') then redis.call('SET', KEYS[i], now + ms, 'PX', ms) end
end
return 1`

interface Scripted {
  rateLimitAcquire(...args: Array<string | number>): Promise<[number, number, number]>
  rateLimitPause(...args: Array<string | number>): Promise<number>
}

export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: Redis & Scripted
  private readonly run: ReturnType<typeof bounded>

  constructor(
    redis: Redis,
    private readonly options: { keyPrefix: string; timeout: number }
  ) {
    redis.defineCommand('rateLimitAcquire', { lua: ACQUIRE })
    redis.defineCommand('rateLimitPause', { lua: PAUSE })
    this.redis = redis as Redis & Scripted
    this.run = bounded(redis, options.timeout, RateLimitStoreError)
  }

  acquire(scope: string, limits: readonly SlotLimit[], maxWaitMs: number, requestId: string): Promise<Acquired> {
    // A sorted-set member per slot: a retry of the same request takes a slot of its own. Made here,
    // not per attempt by the gate: the memory store needs no name (randomUUID was 1 % of a request).
    const member = `${requestId}:${randomUUID()}`
    const keys = limits.flatMap((limit) => [this.key(scope, 'log', limit), this.key(scope, 'pause', limit)])
    const args = limits.flatMap((limit) => [limit.limit, limit.window])
    return this.run('acquire', async () => {
      const [admitted, waitMs, decided] = await this.redis.rateLimitAcquire(
        keys.length,
        ...keys,
        maxWaitMs,
        member,
        ...args
      )
      const decidedBy = decided === 0 ? null : (limits[decided - 1]?.name ?? null)
      if (admitted === 1) return { admitted: true, waitMs, decidedBy }
      return { admitted: false, waitMs, decidedBy: decidedBy ?? (limits[0] as SlotLimit).name }
    })
  }

  async pause(scope: string, limits: readonly SlotLimit[], ms: number): Promise<void> {
    const keys = limits.map((limit) => this.key(scope, 'pause', limit))
    await this.run('pause', () => this.redis.rateLimitPause(keys.length, ...keys, Math.max(1, Math.ceil(ms))))
  }

  async close(): Promise<void> {
    this.redis.disconnect()
  }

  private key(scope: string, kind: 'log' | 'pause', limit: SlotLimit): string {
    return `${this.options.keyPrefix}{${scope}}:${kind}:${limit.name}`
  }
}
