// A client that leaves while the sidecar waits to retry (a Retry-After, a backoff) gets no new
// attempt: each would be a billable call nobody reads. The wait ends when the client goes, and the
// request is logged once, as what happened: aborted, after the one attempt that was made.
import { request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, logsWhen, metric, metricsAfter, startUpstream } from './harness.js'

const RETRY_AFTER_S = 1

t.test('client leaves during a 1 s Retry-After → exactly one POST upstream, logged aborted attempts=1', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/aml/' }, [
    { status: 503, headers: { 'retry-after': String(RETRY_AFTER_S) }, body: { detail: 'busy' } },
    { status: 200, body: { ok: true } }
  ])
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    retry: { maxAttempts: 3, perTryTimeout: '5s', timeout: '10s', backoff: FAST_BACKOFF }
  })
  // The client gives up once the first attempt has been answered, well inside the wait.
  const req = request(`${sidecar.url}/v3/aml/`, { method: 'POST', headers: { 'content-type': 'application/json' } })
  req.on('error', () => undefined)
  req.end('{"full_name":"A"}')
  await logsWhen(sidecar, (line) => line.msg === 'retrying')
  const leftAt = Date.now()
  req.destroy()

  const lines = await logsWhen(sidecar, (line) => line.msg === 'request completed')
  const loggedAfter = Date.now() - leftAt
  t.ok(loggedAfter < RETRY_AFTER_S * 1000, `the wait ended when the client left (${loggedAfter} ms)`)
  // Past the end of the Retry-After: a retry, had one started, would be upstream by now.
  await sleep(RETRY_AFTER_S * 1000 + 300)
  t.equal(didit.count(), 1, 'exactly one POST upstream')

  const completed = sidecar.logs().filter((line) => line.msg === 'request completed')
  t.equal(completed.length, 1, 'one completion line')
  t.match(completed[0], { level: 30, outcome: 'aborted', attempts: 1, status: 499 })
  t.ok(lines.length > 0)
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('retries_skipped_total'), { reason: 'client_gone' }), 1)
  t.equal(sample(metrics, metric('upstream_attempts_total')), 1)
  t.equal(sample(metrics, metric('requests_total'), { outcome: 'aborted', code: '499' }), 1)
  t.notOk(
    sidecar.logs().some((line) => Number(line.level) >= 40),
    'nothing at warn or error: the client left'
  )
})
