// Logs: the request's line carries its id, route, attempts, outcome and idempotency key; at debug
// level there is one line per attempt (with its result) and one per retry (with its wait).
// Bodies and API keys are never logged.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, logsWhen, startUpstream } from './harness.js'

t.test('503, 503, 200 at debug level → a completion line, 3 attempt lines, 2 retry lines', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/aml/' }, [{ status: 503 }, { status: 503 }, { status: 200, body: { ok: true } }])
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    log: { level: 'debug' },
    retry: { maxAttempts: 4, backoff: FAST_BACKOFF },
    routes: [{ name: 'aml', method: 'POST', path: '/v3/aml/' }]
  })
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/aml/`, {
    method: 'POST',
    headers: { 'x-api-key': 'secret-api-key-123', 'content-type': 'application/json' },
    body: '{"full_name":"Body Secret Person"}'
  })
  t.equal(response.status, 200)
  const reqId = response.headers['x-request-id']
  const key = response.headers['idempotency-key']
  t.type(reqId, 'string')
  t.type(key, 'string')

  const lines = await logsWhen(sidecar, (line) => line.msg === 'request completed' && line.reqId === reqId)
  const mine = lines.filter((line) => line.reqId === reqId)
  const completed = mine.filter((line) => line.msg === 'request completed')
  t.equal(completed.length, 1, 'one completion line')
  t.match(completed[0], {
    level: 30,
    reqId,
    route: 'aml',
    method: 'POST',
    status: 200,
    attempts: 3,
    outcome: 'completed',
    idempotencyKey: key
  })

  const attempts = mine.filter((line) => line.msg === 'upstream attempt')
  t.same(
    attempts.map((line) => [line.attempt, line.result]),
    [
      [1, '503'],
      [2, '503'],
      [3, '200']
    ],
    'one attempt line per attempt, with its result'
  )
  t.ok(
    attempts.every((line) => line.level === 20 && line.route === 'aml' && typeof line.durationMs === 'number'),
    'attempt lines are debug, with route and duration'
  )

  const retries = mine.filter((line) => line.msg === 'retrying')
  t.equal(retries.length, 2, 'one line per retry')
  t.ok(
    retries.every(
      (line) =>
        line.level === 20 &&
        line.reason === '503' &&
        typeof line.waitMs === 'number' &&
        line.waitMs >= 0 &&
        line.waitMs <= 2
    ),
    'retry lines are debug, with reason and the wait (within backoff.max)'
  )

  const raw = sidecar.rawLogs()
  t.notOk(raw.includes('secret-api-key-123'), 'the API key is never logged')
  t.notOk(raw.includes('Body Secret Person'), 'the body is never logged')
})

t.test('at info level: the completion line only', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/aml/' }, [{ status: 503 }, { status: 200 }])
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    log: { level: 'info' },
    retry: { backoff: FAST_BACKOFF }
  })
  const send = client(t)
  const response = await send(`${sidecar.url}/v3/aml/`, { method: 'POST', body: '{}' })
  const reqId = response.headers['x-request-id']
  const lines = await logsWhen(sidecar, (line) => line.msg === 'request completed' && line.reqId === reqId)
  const mine = lines.filter((line) => line.reqId === reqId)
  t.same(
    mine.map((line) => line.msg),
    ['request completed']
  )
  t.match(mine[0], { route: 'default', attempts: 2, outcome: 'completed', idempotencyKey: String })
})
