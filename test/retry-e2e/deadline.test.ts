// `timeout` spans every attempt and every wait (gRPC deadlines, Envoy's route timeout): when every
// attempt hangs, the client gets 504 upstream_timeout within the timeout plus a margin, and no
// attempt starts after the deadline, however many attempts maxAttempts would still allow.
import t from 'tap'
import { client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { assertProblem, FAST_BACKOFF, metric, metricsAfter, startUpstream } from './harness.js'

const TIMEOUT_MS = 1000
const PER_TRY_MS = 300
// A fixed 50 ms between attempts: a loop that ignored the deadline would start its next attempt
// 50 ms past it, far enough from it to tell apart on a millisecond clock.
const WAIT_MS = 50

t.test('every attempt hangs → 504 in time, no attempt after the deadline', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/session/s-1/decision/' }, { action: 'hang' }, { repeat: true })
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    retry: {
      maxAttempts: 10,
      perTryTimeout: `${PER_TRY_MS}ms`,
      timeout: `${TIMEOUT_MS}ms`,
      backoff: { base: `${WAIT_MS}ms`, max: `${WAIT_MS}ms`, jitter: 'none' }
    }
  })
  const send = client(t)
  const started = Date.now()
  const response = await send(`${sidecar.url}/v3/session/s-1/decision/`)
  const elapsed = Date.now() - started

  assertProblem(t, response, 504, 'upstream_timeout')
  t.ok(elapsed < TIMEOUT_MS + 1500, `answered after ${elapsed} ms (timeout ${TIMEOUT_MS} ms)`)
  const attempts = didit.count()
  t.equal(response.headers['x-sidecar-attempts'], String(attempts), 'X-Sidecar-Attempts = attempts seen upstream')
  t.ok(attempts >= 2, `retried (${attempts} attempts)`)
  t.ok(
    attempts <= Math.ceil(TIMEOUT_MS / PER_TRY_MS) + 1,
    `at most ceil(timeout / perTryTimeout) + 1 attempts (${attempts})`
  )
  // The sidecar's deadline counts from its own start, a little after `started`: this bound is the stricter one.
  for (const [index, request] of didit.requests.entries()) {
    const at = request.receivedAt - started
    t.ok(at < TIMEOUT_MS, `attempt ${index + 1} received ${at} ms after the request started`)
  }

  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('upstream_attempts_total'), { route: 'default', result: 'timeout' }), attempts)
  t.equal(sample(metrics, metric('retries_skipped_total'), { route: 'default', reason: 'deadline' }), 1)
  t.equal(sample(metrics, metric('requests_total'), { method: 'GET', code: '504', outcome: 'deadline' }), 1)
})

t.test('with near-zero waits too: 504 in time, at most ceil(timeout / perTryTimeout) + 1 attempts', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/sessions/' }, { action: 'hang' }, { repeat: true })
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    retry: { maxAttempts: 10, perTryTimeout: `${PER_TRY_MS}ms`, timeout: `${TIMEOUT_MS}ms`, backoff: FAST_BACKOFF }
  })
  const send = client(t)
  const started = Date.now()
  const response = await send(`${sidecar.url}/v3/sessions/`)
  const elapsed = Date.now() - started
  assertProblem(t, response, 504, 'upstream_timeout')
  t.ok(elapsed < TIMEOUT_MS + 1500, `answered after ${elapsed} ms`)
  const attempts = didit.count()
  t.equal(response.headers['x-sidecar-attempts'], String(attempts))
  t.ok(attempts >= 3, `retried until the deadline (${attempts} attempts)`)
  t.ok(attempts <= Math.ceil(TIMEOUT_MS / PER_TRY_MS) + 1, `at most 5 attempts (${attempts})`)
  // Waits of a millisecond may let an attempt start just before the deadline and be recorded
  // just after it; one started a whole per-try timeout late would still show.
  const last = (didit.requests.at(-1)?.receivedAt ?? 0) - started
  t.ok(last < TIMEOUT_MS + 50, `last attempt received ${last} ms after the request started`)
})
