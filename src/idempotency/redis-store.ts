// The store shared by replicas. Each key holds one JSON string (body in base64): a claim is written
// with SET NX PX semantics, and completing or releasing compares the owner inside a Lua script.
// Every operation is bounded by `timeout`: a slow or absent Redis becomes a StoreUnavailableError
// quickly, and ioredis reconnects in the background (no offline queue, so nothing piles up).
// A claim given up on (timed out or failed once sent) is undone by owner when Redis answers again.
import { once } from 'node:events'
import { Redis } from 'ioredis'
import { AbandonedClaims } from './abandoned-claims.js'
import { type Entry, type IdempotencyStore, type StoredResponse, StoreUnavailableError } from './store.js'

export interface RedisStoreOptions {
  url: string
  keyPrefix?: string
  /** Bound on one operation, in ms: waiting for a connection included. */
  timeout: number
}

const RECONNECT_FIRST_DELAY = 50
const RECONNECT_MAX_DELAY = 1000

/** Capped exponential backoff between reconnection attempts; never gives up. */
export function reconnectDelay(attempt: number): number {
  return Math.min(RECONNECT_FIRST_DELAY * 2 ** Math.max(0, attempt - 1), RECONNECT_MAX_DELAY)
}

const OWNED = `local function owned(key, owner)
  local raw = redis.call('GET', key)
  if not raw then return false end
  local ok, entry = pcall(cjson.decode, raw)
  return ok and type(entry) == 'table' and entry.state == 'in-flight' and entry.owner == owner
end
`
const SCRIPTS = {
  idempotencyClaim: `local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`,
  idempotencyComplete: `${OWNED}if not owned(KEYS[1], ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`,
  idempotencyRelease: `${OWNED}if not owned(KEYS[1], ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return 1`,
  idempotencyRenew: `${OWNED}if not owned(KEYS[1], ARGV[1]) then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`
}
interface Scripted {
  idempotencyClaim(key: string, value: string, lockTtl: number): Promise<string | null>
  idempotencyComplete(key: string, owner: string, value: string, ttl: number): Promise<number>
  idempotencyRelease(key: string, owner: string): Promise<number>
  idempotencyRenew(key: string, owner: string, lockTtl: number): Promise<number>
}

export class RedisStore implements IdempotencyStore {
  private readonly redis: Redis & Scripted
  private readonly timeout: number
  private readonly abandoned = new AbandonedClaims((key, owner) => this.release(key, owner))
  private ready: Promise<void> | undefined

  constructor(options: RedisStoreOptions) {
    this.timeout = options.timeout
    const redis = new Redis(options.url, {
      keyPrefix: options.keyPrefix ?? '',
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.timeout,
      connectTimeout: options.timeout,
      maxRetriesPerRequest: 1,
      retryStrategy: reconnectDelay
    })
    // Failures reach callers as StoreUnavailableError; without a listener ioredis would print them.
    redis.on('error', () => {})
    redis.on('ready', () => void this.abandoned.drain())
    for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: 1, lua })
    this.redis = redis as Redis & Scripted
  }

  claim(key: string, fingerprint: string, owner: string, lockTtl: number): Promise<Entry | null> {
    const value = JSON.stringify({ state: 'in-flight', fingerprint, owner })
    return this.run(
      'claim',
      async () => decode(await this.redis.idempotencyClaim(key, value, lockTtl)),
      () => this.abandoned.add(key, owner, lockTtl)
    )
  }

  get(key: string): Promise<Entry | null> {
    return this.run('get', async () => decode(await this.redis.get(key)))
  }

  complete(key: string, owner: string, fingerprint: string, response: StoredResponse, ttl: number): Promise<boolean> {
    const { status, headers, body } = response
    const value = JSON.stringify({ state: 'completed', fingerprint, status, headers, body: body.toString('base64') })
    return this.run('complete', async () => (await this.redis.idempotencyComplete(key, owner, value, ttl)) === 1)
  }

  release(key: string, owner: string): Promise<boolean> {
    return this.run('release', async () => (await this.redis.idempotencyRelease(key, owner)) === 1)
  }

  renew(key: string, owner: string, lockTtl: number): Promise<boolean> {
    return this.run('renew', async () => (await this.redis.idempotencyRenew(key, owner, lockTtl)) === 1)
  }

  async close(): Promise<void> {
    this.redis.disconnect()
  }

  /** Runs `fn` once connected, within `timeout`. `givenUp` runs on a failure after the command may have been sent. */
  private async run<T>(operation: string, fn: () => Promise<T>, givenUp?: () => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    let sent = false
    let timedOut = false
    const timeout = new Promise<never>((_, reject) => {
      const error = () => new StoreUnavailableError(`redis ${operation} timed out after ${this.timeout} ms`)
      timer = setTimeout(() => {
        timedOut = true
        reject(error())
      }, this.timeout)
    })
    const work = this.connected().then(() => {
      sent = true
      return fn()
    })
    try {
      const result = await Promise.race([timeout, work])
      if (this.abandoned.size > 0) void this.abandoned.drain()
      return result
    } catch (error) {
      // Timed out while still connecting: the command may be sent later, so it counts as sent.
      if (sent || timedOut) givenUp?.()
      if (error instanceof StoreUnavailableError) throw error
      throw new StoreUnavailableError(`redis ${operation} failed: ${(error as Error).message}`, { cause: error })
    } finally {
      clearTimeout(timer)
    }
  }

  /** Joins a connection attempt in progress; between attempts fails at once, adding no latency. */
  private async connected(): Promise<void> {
    const { status } = this.redis
    if (status === 'ready') return
    if (status !== 'connecting' && status !== 'connect')
      throw new StoreUnavailableError(`redis connection is ${status}`)
    // One listener per attempt, however many requests arrive meanwhile ('error' rejects it).
    this.ready ??= once(this.redis, 'ready')
      .then(() => {})
      .finally(() => {
        this.ready = undefined
      })
    await this.ready
  }
}

function decode(raw: string | null): Entry | null {
  if (raw === null) return null
  try {
    const value = JSON.parse(raw)
    const { state, fingerprint, owner, status, headers, body } = value
    if (typeof fingerprint !== 'string') throw new TypeError('no fingerprint')
    if (state === 'in-flight' && typeof owner === 'string') return { state, fingerprint, owner }
    if (state === 'completed' && typeof body === 'string') {
      return { state, fingerprint, response: { status, headers, body: Buffer.from(body, 'base64') } }
    }
  } catch {}
  throw new StoreUnavailableError('redis holds a malformed idempotency entry')
}
