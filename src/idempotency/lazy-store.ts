// A store whose module is imported when the store is made, not when the sidecar starts: a
// memory-store configuration never loads ioredis (memory and start-up time; docs/benchmarks.md).
// The import starts at construction, so Redis is dialled about as early as before.
import { type Entry, type IdempotencyStore, type StoredResponse, StoreUnavailableError } from './store.js'

export class LazyStore implements IdempotencyStore {
  private readonly store: Promise<IdempotencyStore>

  constructor(load: () => Promise<IdempotencyStore>) {
    this.store = load().catch((cause: unknown) => {
      throw new StoreUnavailableError('the store could not be loaded', { cause })
    })
    this.store.catch(() => undefined)
  }

  async claim(key: string, fingerprint: string, owner: string, lockTtl: number): Promise<Entry | null> {
    return (await this.store).claim(key, fingerprint, owner, lockTtl)
  }

  async get(key: string): Promise<Entry | null> {
    return (await this.store).get(key)
  }

  async complete(key: string, owner: string, fingerprint: string, response: StoredResponse, ttl: number) {
    return (await this.store).complete(key, owner, fingerprint, response, ttl)
  }

  async renew(key: string, owner: string, lockTtl: number): Promise<boolean> {
    return (await this.store).renew(key, owner, lockTtl)
  }

  async release(key: string, owner: string): Promise<boolean> {
    return (await this.store).release(key, owner)
  }

  async close(): Promise<void> {
    await (await this.store.catch(() => null))?.close()
  }
}
