// A store error while a duplicate waits (issue 7 item 2): with onStoreError=pass, Redis stalls
// (SIGSTOP, longer than the store timeout) while a duplicate is waiting for a slow original. The
// duplicate's failing polls must not send it upstream: `pass` applies to the first claim only. It
// keeps waiting and gets the original's answer; exactly one upstream POST for the key.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import {
  FAST_BACKOFF,
  idempotencyCount,
  metricsAfter,
  post,
  replayed,
  startUpstream,
  until,
  useStore
} from './harness.js'

const PATH = '/v3/aml/'
const BODY = '{"full_name":"A"}'
const KEY = 'stalled-store-key'
const STORE_TIMEOUT_MS = 200
const STALL_MS = 1000
/** The original outlasts the stall. */
const ORIGINAL_MS = STALL_MS + 800

t.test('redis: a store stall while a duplicate waits → the duplicate is not forwarded', async (t) => {
  const store = await useStore(t, 'redis', { timeout: `${STORE_TIMEOUT_MS}ms`, onStoreError: 'pass' })
  if (store === null || store.redis === null) return
  const redis = store.redis
  const didit = await startUpstream(t)
  didit.script({ path: PATH }, { status: 200, delayMs: ORIGINAL_MS, body: { answer: 'original' } })
  didit.script({ path: PATH }, { status: 200, body: { answer: 'a duplicate reached upstream' } }, { repeat: true })
  const document = {
    upstream: { url: didit.url },
    idempotency: { store: store.config, concurrent: 'wait', waitTimeout: '10s', pollInterval: '50ms' },
    retry: { backoff: FAST_BACKOFF }
  }
  // The duplicate arrives at another replica, as behind a load balancer.
  const [first, second] = [await startSidecar(t, document), await startSidecar(t, document)]
  const send = client(t)

  const original = send(`${first.url}${PATH}`, post(KEY, BODY))
  await until(() => didit.count({ path: PATH }) === 1, 'the original upstream')
  const duplicate = send(`${second.url}${PATH}`, post(KEY, BODY))
  await sleep(100) // the duplicate has found the claim and polls
  redis.pause()
  t.teardown(() => redis.resume())
  await sleep(STALL_MS)
  redis.resume()

  const [one, other] = await Promise.all([original, duplicate])
  const forKey = didit.requests.filter((request) => request.headers['idempotency-key'] === KEY)
  t.equal(forKey.length, 1, 'exactly one upstream POST for the key')
  t.equal(one.status, 200)
  t.same(JSON.parse(one.body.toString()), { answer: 'original' })
  t.equal(other.status, 200, 'the duplicate waited through the stall')
  t.same(JSON.parse(other.body.toString()), { answer: 'original' }, "and got the original's answer")
  t.ok(replayed(other), 'as a replay')
  const metrics = await metricsAfter(second, 1)
  t.equal(idempotencyCount(metrics, 'store_error'), 0, 'the duplicate was not bypassed')
  t.equal(idempotencyCount(metrics, 'coalesced'), 1)
})
