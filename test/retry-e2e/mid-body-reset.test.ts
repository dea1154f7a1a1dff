// No retry after commit: once the response head has gone to the client, an upstream failure in the
// middle of the body aborts the client's response. Nothing is replayed, even for a GET.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { Scripted } from '../../src/dev/fake-didit.js'
import { type ClientResponse, client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { assertProblem, FAST_BACKOFF, metric, metricsAfter, startUpstream } from './harness.js'

const BODY = Buffer.alloc(256 * 1024, 'p')

const failures: Record<string, Scripted> = {
  'reset mid-body (Content-Length)': { action: 'reset-mid-body', headers: { 'content-type': 'application/pdf' } },
  'reset mid-body (chunked)': { action: 'reset-mid-body', chunked: true }
}

for (const [what, failure] of Object.entries(failures)) {
  t.test(`GET, 200 head then ${what} → the client's response is aborted, 1 attempt`, async (t) => {
    const didit = await startUpstream(t)
    // A retry, if there were one, would get a complete answer.
    didit.script({ path: '/v3/session/s-1/generate-pdf/' }, [
      { status: 200, body: BODY, ...failure },
      { status: 200, body: BODY }
    ])
    const sidecar = await startSidecar(t, { upstream: { url: didit.url }, retry: { backoff: FAST_BACKOFF } })
    const send = client(t)
    await t.rejects(send(`${sidecar.url}/v3/session/s-1/generate-pdf/`), 'the body read fails')
    // Give a replay, if any, the time to happen.
    await sleep(100)
    t.equal(didit.count(), 1, 'one attempt upstream, nothing replayed')
    const metrics = await metricsAfter(sidecar, 1)
    t.equal(sample(metrics, metric('upstream_attempts_total'), { route: 'default' }), 1)
    t.equal(sample(metrics, metric('retries_total')), 0)
    t.equal(
      sample(metrics, metric('requests_total'), { route: 'default', method: 'GET', outcome: 'aborted' }),
      1,
      'counted as aborted'
    )
  })
}

// The head arrives but not one body byte: the sidecar has nothing to stream yet. The upstream failed,
// so the client gets either an aborted response or the sidecar's 502 upstream_reset, never a 500
// "internal sidecar error" blaming the sidecar.
t.test('GET, 200 head then close before any body byte → aborted or 502 upstream_reset, 1 attempt', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/session/s-1/generate-pdf/' }, [
    { status: 200, body: BODY, action: 'close-after-head' },
    { status: 200, body: BODY }
  ])
  const sidecar = await startSidecar(t, { upstream: { url: didit.url }, retry: { backoff: FAST_BACKOFF } })
  const send = client(t)
  const outcome = await send(`${sidecar.url}/v3/session/s-1/generate-pdf/`).catch((error: unknown) => error)
  if (outcome instanceof Error) t.pass('the response was aborted')
  else assertProblem(t, outcome as ClientResponse, 502, 'upstream_reset')
  await sleep(100)
  t.equal(didit.count(), 1, 'one attempt upstream, nothing replayed')
})
