// Redis outage (issue 4, behaviour 6): with Redis stopped or not answering, the sidecar never hangs
// on the store (timeout 200ms). onStoreError=pass forwards without deduplication and counts
// store_error; reject answers 503 idempotency_unavailable. Once Redis is back on the same port, the
// same sidecars deduplicate again by themselves, without a restart.
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar, type TestSidecar } from '../helpers/sidecar.js'
import {
  assertProblem,
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
/** Generous: proves "no hang" against a 200 ms store timeout, not speed, on a loaded machine. */
const NO_HANG_MS = 2000
/** How long the sidecar may take to reconnect once Redis is back (ioredis backs off up to 1 s). */
const RECONNECT_DEADLINE_MS = 5000
/** A failed settle is retried while its claim lives (lockTtl): short here, so that it gives up soon. */
const LOCK_TTL_MS = 1000

async function setup(t: Test) {
  const store = await useStore(t, 'redis', { timeout: '200ms', lockTtl: `${LOCK_TTL_MS}ms` })
  if (store === null || store.redis === null) return null
  const redis = store.redis
  const didit = await startUpstream(t)
  didit.script({ path: PATH }, { status: 200, body: { ok: true } }, { repeat: true })
  const document = (onStoreError: string) => ({
    upstream: { url: didit.url },
    idempotency: { store: { ...store.config, onStoreError } },
    retry: { backoff: FAST_BACKOFF }
  })
  const pass = await startSidecar(t, document('pass'))
  const reject = await startSidecar(t, document('reject'))
  const send = client(t)
  /** A keyed POST, timed. */
  const timed = async (sidecar: TestSidecar, key: string) => {
    const started = performance.now()
    const response = await send(`${sidecar.url}${PATH}`, post(key, BODY))
    return { response, elapsed: performance.now() - started }
  }
  /** The same keyed POST twice: the second answer. */
  const twice = async (sidecar: TestSidecar, key: string) => {
    await timed(sidecar, key)
    return (await timed(sidecar, key)).response
  }
  return { redis, didit, pass, reject, send, timed, twice }
}

type Setup = NonNullable<Awaited<ReturnType<typeof setup>>>

/** While the store fails: pass forwards every copy (no deduplication), reject refuses, neither hangs. */
async function assertDegraded(t: Test, s: Setup, tag: string) {
  const upstreamBefore = s.didit.count()
  for (const n of [1, 2]) {
    const { response, elapsed } = await s.timed(s.pass, `${tag}-pass`)
    t.equal(response.status, 200, `pass #${n}: forwarded`)
    t.notOk(replayed(response), `pass #${n}: not a replay`)
    t.ok(elapsed < NO_HANG_MS, `pass #${n}: answered without hanging (${Math.round(elapsed)} ms)`)
  }
  t.equal(s.didit.count(), upstreamBefore + 2, 'pass: both copies went upstream (no deduplication)')

  const { response, elapsed } = await s.timed(s.reject, `${tag}-reject`)
  assertProblem(t, response, 503, 'idempotency_unavailable', 'reject')
  t.ok(elapsed < NO_HANG_MS, `reject: answered without hanging (${Math.round(elapsed)} ms)`)
  t.equal(s.didit.count(), upstreamBefore + 2, 'reject: nothing forwarded')

  const keyless = await s.send(`${s.reject.url}${PATH}`, post(undefined, BODY))
  t.equal(keyless.status, 200, 'reject: a request without a client key never touches the store')
}

/** Polls with fresh keys until a repeat on `sidecar` is a replay again; false when it never is. */
async function deduplicatesAgain(s: Setup, sidecar: TestSidecar): Promise<boolean> {
  const deadline = Date.now() + RECONNECT_DEADLINE_MS
  for (let n = 0; Date.now() < deadline; n++) {
    const key = `back-${n}`
    const first = await s.send(`${sidecar.url}${PATH}`, post(key, BODY))
    const again = await s.send(`${sidecar.url}${PATH}`, post(key, BODY))
    if (first.status === 200 && replayed(again)) return true
    await sleep(50)
  }
  return false
}

async function storeErrors(sidecar: TestSidecar, requests: number): Promise<number> {
  return idempotencyCount(await metricsAfter(sidecar, requests), 'store_error')
}

t.test('redis: stopped mid-test → pass forwards, reject 503; restarted → deduplication again', async (t) => {
  const s = await setup(t)
  if (s === null) return
  t.ok(replayed(await s.twice(s.pass, 'before')), 'pass: deduplicating before the outage')
  t.ok(replayed(await s.twice(s.reject, 'before')), 'reject: deduplicating before the outage')

  await s.redis.stop()
  await assertDegraded(t, s, 'stopped')
  t.equal(await storeErrors(s.pass, 4), 2, 'pass: store_error counted for each')
  t.equal(await storeErrors(s.reject, 4), 1, 'reject: store_error counted')

  await s.redis.restart()
  t.ok(await deduplicatesAgain(s, s.pass), 'pass: replays again after the restart, same sidecar')
  t.ok(await deduplicatesAgain(s, s.reject), 'reject: replays again after the restart, same sidecar')
})

t.test('redis: not answering (SIGSTOP) → bounded by the store timeout; resumed → deduplication again', async (t) => {
  const s = await setup(t)
  if (s === null) return
  t.ok(replayed(await s.twice(s.pass, 'before')), 'pass: deduplicating before Redis stalls')
  t.ok(replayed(await s.twice(s.reject, 'before')), 'reject: deduplicating before Redis stalls')

  s.redis.pause()
  t.teardown(() => s.redis.resume())
  await assertDegraded(t, s, 'paused')
  t.equal(await storeErrors(s.pass, 4), 2, 'pass: store_error counted for each')

  s.redis.resume()
  t.ok(await deduplicatesAgain(s, s.pass), 'pass: replays again once Redis answers')
  t.ok(await deduplicatesAgain(s, s.reject), 'reject: replays again once Redis answers')
})

t.test('redis: stopped while a claimed request is in flight → its client still gets the answer', async (t) => {
  const s = await setup(t)
  if (s === null) return
  s.didit.script({ path: '/v3/slow/' }, { status: 200, delayMs: 300, body: { slow: true } })
  const pending = s.send(`${s.pass.url}/v3/slow/`, post('in-flight', BODY))
  await until(() => s.didit.count({ path: '/v3/slow/' }) === 1, 'the claimed request upstream')
  await s.redis.stop()

  const started = performance.now()
  const response = await pending
  t.equal(response.status, 200, 'the answer reaches the client although it cannot be stored')
  t.same(JSON.parse(response.body.toString()), { slow: true })
  t.ok(performance.now() - started < NO_HANG_MS, 'without hanging on the store')
  // Settling runs as the body ends and retries the store for up to lockTtl, so its store_error is
  // counted after the client has the answer.
  await until(async () => (await storeErrors(s.pass, 1)) >= 1, 'store_error from the settle', NO_HANG_MS + LOCK_TTL_MS)
  t.equal(await storeErrors(s.pass, 1), 1, 'the failed settle counted as store_error')
})
