// Redis (with an append-only file, as in production) restarts just as an original's answer is to be
// stored. The store write fails while Redis is down; the claim survives the restart. The settle is
// retried while the claim lives, so the answer is stored once Redis is back and the client's retry
// with the same key is replayed it. Given up at once, the claim would expire and that retry would
// go upstream again: billed twice (the chaos suite's case at its Redis restart).
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { startRedis } from '../../src/dev/chaos/redis.js'
import { client } from '../helpers/client.js'
import { startRawUpstream } from '../helpers/raw-upstream.js'
import { startSidecar } from '../helpers/sidecar.js'
import { post, replayed, until } from './harness.js'

const PATH = '/v3/aml/'
const BODY = '{"full_name":"A"}'
const OK = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'

t.test('the answer is stored once Redis is back: the retry is replayed, one upstream POST', async (t) => {
  const redis = await startRedis()
  t.teardown(() => redis.stop())
  const held: Array<() => void> = []
  const upstream = await startRawUpstream(t, (socket) => held.push(() => socket.write(OK)))
  const sidecar = await startSidecar(t, {
    upstream: { url: upstream.url },
    idempotency: {
      store: { type: 'redis', url: redis.url, timeout: '200ms', lockTtl: '3s', onStoreError: 'reject' },
      concurrent: 'wait',
      waitTimeout: '5s',
      pollInterval: '25ms'
    }
  })
  const send = client(t)

  const original = send(`${sidecar.url}${PATH}`, post('aml-restart-1', BODY))
  await until(() => held.length === 1, 'the original upstream')
  await redis.down()
  held[0]?.()
  const first = await original
  t.equal(first.status, 200, 'the original gets its answer while Redis is down')
  await redis.up()

  // Refused (503) until the sidecar has reconnected: `reject`, so that no try bypasses the store.
  let retry = await send(`${sidecar.url}${PATH}`, post('aml-restart-1', BODY))
  for (let tries = 1; retry.status === 503 && tries < 50; tries++) {
    await sleep(100)
    retry = await send(`${sidecar.url}${PATH}`, post('aml-restart-1', BODY))
  }
  t.equal(retry.status, 200, 'the retry gets the 200')
  t.ok(replayed(retry), 'replayed from the store, not 409 and then a second POST')
  t.equal(upstream.requests.length, 1, 'upstream saw exactly one POST')
})
