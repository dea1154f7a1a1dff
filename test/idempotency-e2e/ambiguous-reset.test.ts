// A POST (not idempotent) that upstream reads and then resets: Didit may have processed it, so the
// sidecar's 502 upstream_reset is stored under the client's key instead of releasing it. A duplicate
// that waited on the original and the client's later retry both get that 502 replayed; upstream
// sees one POST, never a second billable one.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startRawUpstream } from '../helpers/raw-upstream.js'
import { startSidecar } from '../helpers/sidecar.js'
import { assertProblem, post, replayed, until } from './harness.js'

const PATH = '/v3/aml/'
const BODY = '{"full_name":"A"}'

t.test('reset after the request was read → 502 stored; the waiting duplicate and the retry replay it', async (t) => {
  const upstream = await startRawUpstream(t, (socket, request) => {
    // Held a moment, so that the duplicate arrives while the original is in flight.
    if (request.index === 1) setTimeout(() => socket.destroy(), 300)
    else socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}')
  })
  const sidecar = await startSidecar(t, {
    upstream: { url: upstream.url },
    idempotency: { concurrent: 'wait', waitTimeout: '5s', store: { type: 'memory' } }
  })
  const send = client(t)

  const original = send(`${sidecar.url}${PATH}`, post('aml-reset-1', BODY))
  await until(() => upstream.requests.length === 1, 'the original upstream')
  const duplicate = send(`${sidecar.url}${PATH}`, post('aml-reset-1', BODY))
  const first = await original
  assertProblem(t, first, 502, 'upstream_reset', 'the original')
  t.notOk(replayed(first), 'the original is not a replay')

  const waited = await duplicate
  assertProblem(t, waited, 502, 'upstream_reset', 'the waiting duplicate')
  t.ok(replayed(waited), 'the duplicate gets the stored 502, not 409 and then a second POST')
  t.same(waited.body, first.body, 'the body its original was sent')

  const retry = await send(`${sidecar.url}${PATH}`, post('aml-reset-1', BODY))
  assertProblem(t, retry, 502, 'upstream_reset', 'the retry')
  t.ok(replayed(retry), 'Idempotent-Replayed: true')
  t.same(retry.body, first.body)
  t.match(retry.headers['content-type'], /^application\/problem\+json/)
  t.equal(upstream.requests.length, 1, 'upstream saw exactly one POST')
})
