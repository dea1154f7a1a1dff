// A throwaway redis-server on a free loopback port, for tests that need the real thing.
// Returns null when the binary is not installed, so that each test file decides: skip, or fail in CI.
import { access, constants } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { freePort, type RedisServer, startRedisServer } from '../../src/dev/redis-server.js'

export { freePort, type RedisServer }

export async function startRedis(): Promise<RedisServer | null> {
  const binary = await findBinary('redis-server')
  return binary === null ? null : startRedisServer({ binary })
}

async function findBinary(name: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name)
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {}
  }
  return null
}
