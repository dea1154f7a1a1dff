// Issue 8, Tests: Redis stopped mid-test. With `onStoreError: local` each replica limits on its own
// (and counts store_error); once Redis is back, the limit is shared again across replicas.
import t from 'tap'
import { client } from '../helpers/client.js'
import type { TestSidecar } from '../helpers/sidecar.js'
import { until } from '../idempotency-e2e/harness.js'
import {
  FAST_BACKOFF,
  metricsOf,
  PATH,
  post,
  rateLimitCount,
  redisStore,
  startReplicas,
  upstream,
  useRedis,
  writes
} from './harness.js'

const LIMIT = 3

t.test('Redis down: local limiting, counted; Redis back: shared limiting', async (t) => {
  const redis = await useRedis(t)
  if (redis === null) return
  const didit = await upstream(t)
  const document = {
    upstream: { url: didit.url },
    rateLimit: {
      store: redisStore(redis, { timeout: '200ms', onStoreError: 'local' }),
      maxWait: 0,
      margin: '0ms',
      limits: writes(LIMIT, '20s')
    },
    retry: { backoff: FAST_BACKOFF }
  }
  const replicas = await startReplicas(t, didit, document)
  const [a, b] = replicas as [TestSidecar, TestSidecar]
  const send = client(t)
  const burst = (key: string) =>
    Promise.all(
      Array.from({ length: 2 * LIMIT + 2 }, (_, i) =>
        send(`${replicas[i % 2]?.url}${PATH}`, post(i, { 'x-api-key': key }))
      )
    )
  const admitted = (answers: Array<{ status: number }>) => answers.filter((answer) => answer.status === 200).length

  t.equal(admitted(await burst('before')), LIMIT, 'shared while Redis is up: 3 across both replicas')

  await redis.stop()
  const down = await burst('down')
  t.equal(admitted(down), 2 * LIMIT, 'each replica still limits, on its own: 3 each')
  const errors = rateLimitCount(await metricsOf(replicas), { result: 'store_error' })
  t.equal(errors, down.length, 'every decision counted as a store_error')

  await redis.restart()
  // Each replica reconnects in the background; a probe with a fresh key costs nothing that counts.
  let probe = 0
  for (const replica of [a, b]) {
    await until(async () => {
      const before = rateLimitCount([await replica.metrics()], { result: 'store_error' })
      await send(`${replica.url}${PATH}`, post(0, { 'x-api-key': `probe-${probe++}` }))
      return rateLimitCount([await replica.metrics()], { result: 'store_error' }) === before
    }, 'the replica to reach Redis again')
  }
  const reconnected = rateLimitCount(await metricsOf(replicas), { result: 'store_error' })
  const back = await burst('after')
  t.equal(admitted(back), LIMIT, 'shared again: 3 across both replicas')
  t.equal(rateLimitCount(await metricsOf(replicas), { result: 'store_error' }), reconnected, 'no new store_error')
})
