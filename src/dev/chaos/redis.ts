// The one real redis-server both sidecars share, with an append-only file so that a restart keeps
// stored answers (as a production Redis with persistence would): a restart tests reconnection, and
// losing every key is not mistaken for a sidecar bug.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RedisServer, startRedisServer } from '../redis-server.js'

export type ChaosRedis = RedisServer

export async function startRedis(): Promise<ChaosRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'didit-chaos-redis-'))
  const server = await startRedisServer({ appendOnlyDir: dir })
  return {
    ...server,
    async stop() {
      await server.stop()
      await rm(dir, { recursive: true, force: true })
    }
  }
}
