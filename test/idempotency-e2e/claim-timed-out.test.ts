// A claim the sidecar gave up on (issue 7 item 4): Redis stalls (SIGSTOP) for longer than the store
// timeout while a request is being claimed, so the claim times out and onStoreError=pass forwards the
// request. The claim command still runs once Redis resumes; it must be undone by its owner, so the
// client's retry goes through instead of getting 409 for the whole lockTtl (2 minutes by default).
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, idempotencyCount, metricsAfter, post, replayed, startUpstream, useStore } from './harness.js'

const PATH = '/v3/aml/'
const BODY = '{"full_name":"A"}'
const KEY = 'timed-out-claim'
const STORE_TIMEOUT_MS = 200

t.test('redis: a claim that timed out during a stall leaves the key free once Redis resumes', async (t) => {
  const store = await useStore(t, 'redis', { timeout: `${STORE_TIMEOUT_MS}ms`, onStoreError: 'pass' })
  if (store === null || store.redis === null) return
  const redis = store.redis
  const didit = await startUpstream(t)
  didit.script({ path: PATH }, [
    { status: 200, body: { answer: 'warm-up' } },
    { status: 200, body: { answer: 'passed through' } },
    { status: 200, body: { answer: 'the retry' } }
  ])
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    idempotency: { store: store.config, concurrent: 'reject' },
    retry: { backoff: FAST_BACKOFF }
  })
  const send = client(t)
  const warm = await send(`${sidecar.url}${PATH}`, post('warm-up', BODY))
  t.equal(warm.status, 200, 'connected to Redis before the stall')

  redis.pause()
  t.teardown(() => redis.resume())
  const passed = await send(`${sidecar.url}${PATH}`, post(KEY, BODY))
  t.equal(passed.status, 200, 'the claim timed out and the request passed')
  t.same(JSON.parse(passed.body.toString()), { answer: 'passed through' })
  t.equal(idempotencyCount(await metricsAfter(sidecar, 2), 'store_error'), 1, 'counted as a store error')
  await sleep(STORE_TIMEOUT_MS)
  redis.resume()

  const retry = await send(`${sidecar.url}${PATH}`, post(KEY, BODY))
  t.equal(retry.status, 200, 'the retry is not refused as in flight')
  t.same(JSON.parse(retry.body.toString()), { answer: 'the retry' }, 'it went upstream (nothing was stored)')
  const again = await send(`${sidecar.url}${PATH}`, post(KEY, BODY))
  t.ok(replayed(again), "and the retry's answer is stored as usual")
  t.equal(didit.count({ path: PATH }), 3, 'warm-up, passed through, retry')
})
