// Crash (issue 4, behaviour 6): a replica killed with SIGKILL mid-request never releases its claim,
// but the claim has its own short lifetime (lockTtl), so the key is usable again soon after instead
// of wedged for the response ttl (express-idempotency#32). Real CLI processes on one real Redis.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { runCli, writeConfig } from '../helpers/cli.js'
import { client } from '../helpers/client.js'
import { assertProblem, FAST_BACKOFF, post, replayed, startUpstream, until, useStore } from './harness.js'

const PATH = '/v3/aml/'
const BODY = '{"full_name":"A"}'
const LOCK_TTL_MS = 1000
/** Past the claim's expiry, measured from when upstream saw the request (the claim came before). */
const AFTER_EXPIRY_MS = LOCK_TTL_MS + 200

t.test('redis: a sidecar killed mid-request leaves a key that is usable again after lockTtl', async (t) => {
  const store = await useStore(t, 'redis')
  if (store === null) return
  const didit = await startUpstream(t)
  didit.script({ path: PATH }, [{ action: 'hang' }, { status: 200, body: { request_id: 'after-crash' } }])
  const path = await writeConfig({
    upstream: { url: didit.url },
    idempotency: { store: { ...store.config, lockTtl: `${LOCK_TTL_MS}ms` }, concurrent: 'reject' },
    retry: { backoff: FAST_BACKOFF }
  })
  // Both replicas up before the crash, so that a slow process start cannot eat into lockTtl.
  const doomed = runCli(t, ['--config', path])
  const survivor = runCli(t, ['--config', path])
  const [{ proxy: doomedUrl }, { proxy: survivorUrl }] = await Promise.all([doomed.ready, survivor.ready])
  const send = client(t)

  const lost = send(`${doomedUrl}${PATH}`, post('crash-key', BODY)).then(
    () => 'answered',
    () => 'cut'
  )
  await until(() => didit.count() === 1, 'the request upstream')
  const claimedBefore = didit.requests[0]?.receivedAt ?? Date.now()
  doomed.child.kill('SIGKILL')
  t.same(await doomed.exited, { code: null, signal: 'SIGKILL' }, 'killed mid-request')
  t.equal(await lost, 'cut', "the doomed replica's client got no answer")

  const during = await send(`${survivorUrl}${PATH}`, post('crash-key', BODY))
  assertProblem(t, during, 409, 'idempotency_conflict', 'the orphaned claim, right after the crash')
  t.match(during.headers['retry-after'], /^[1-9]\d*$/, 'with Retry-After')
  t.equal(didit.count(), 1, 'nothing forwarded meanwhile')

  await sleep(Math.max(0, claimedBefore + AFTER_EXPIRY_MS - Date.now()))
  const after = await send(`${survivorUrl}${PATH}`, post('crash-key', BODY))
  t.equal(after.status, 200, 'after lockTtl: the key is free, the request goes through')
  t.same(JSON.parse(after.body.toString()), { request_id: 'after-crash' })
  t.notOk(replayed(after), 'a fresh answer, not a replay')
  t.equal(didit.count(), 2, 'upstream saw the retry')

  const again = await send(`${survivorUrl}${PATH}`, post('crash-key', BODY))
  t.ok(replayed(again), 'and that answer is stored as usual')
  t.equal(didit.count(), 2)
})
