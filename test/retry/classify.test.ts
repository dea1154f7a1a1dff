import t from 'tap'
import type { RetryOn } from '../../src/config/schema.js'
import { type AttemptOutcome, classify, type Failure, isIdempotent, type Safety } from '../../src/retry/classify.js'

const status = (code: number): AttemptOutcome => ({ kind: 'response', status: code })
const error = (failure: Failure): AttemptOutcome => ({ kind: 'error', failure })
const DEFAULT_ON: RetryOn[] = ['connect-failure', 'reset', 'timeout', 429, 502, 503, 504]

t.test('a configured idempotent wins; otherwise the method decides (RFC 9110 §9.2.2)', async (t) => {
  for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])
    t.equal(isIdempotent(method, null), true, method)
  for (const method of ['POST', 'PATCH', 'CONNECT', 'get']) t.equal(isIdempotent(method, null), false, method)
  t.equal(isIdempotent('POST', true), true)
  t.equal(isIdempotent('GET', false), false)
})

// Each condition with its safety class and whether it is retried when listed in `on`,
// for a non-idempotent and an idempotent request. A condition not listed is never retried.
const table: [AttemptOutcome, Safety, { nonIdempotent: boolean; idempotent: boolean }][] = [
  [error('connect-failure'), 'never-sent', { nonIdempotent: true, idempotent: true }],
  [status(429), 'not-processed', { nonIdempotent: true, idempotent: true }],
  [status(503), 'not-processed', { nonIdempotent: true, idempotent: true }],
  [error('reset'), 'ambiguous', { nonIdempotent: false, idempotent: true }],
  [error('timeout'), 'ambiguous', { nonIdempotent: false, idempotent: true }],
  [status(500), 'ambiguous', { nonIdempotent: false, idempotent: true }],
  [status(502), 'ambiguous', { nonIdempotent: false, idempotent: true }],
  [status(504), 'ambiguous', { nonIdempotent: false, idempotent: true }],
  [status(200), 'final', { nonIdempotent: false, idempotent: false }],
  [status(301), 'final', { nonIdempotent: false, idempotent: false }],
  [status(400), 'final', { nonIdempotent: false, idempotent: false }],
  [status(404), 'final', { nonIdempotent: false, idempotent: false }],
  [status(409), 'final', { nonIdempotent: false, idempotent: false }],
  [error('tls'), 'final', { nonIdempotent: false, idempotent: false }],
  [error('other'), 'final', { nonIdempotent: false, idempotent: false }]
]

t.test('safety class × idempotency × listed in `on`', async (t) => {
  for (const [outcome, safety, whenListed] of table) {
    const condition = outcome.kind === 'error' ? outcome.failure : outcome.status
    const reason = String(condition)
    // Final conditions cannot be configured; they are forced into `on` to show they still never retry.
    const listed = [condition] as RetryOn[]
    for (const idempotent of [false, true]) {
      const expected = idempotent ? whenListed.idempotent : whenListed.nonIdempotent
      const name = `${reason} ${idempotent ? 'idempotent' : 'non-idempotent'}`
      t.same(classify(outcome, { on: listed, idempotent }), { retryable: expected, safety, reason }, `${name}, listed`)
      t.same(classify(outcome, { on: [], idempotent }), { retryable: false, safety, reason }, `${name}, not listed`)
    }
  }
})

t.test('the cases that matter, with the default `on`', async (t) => {
  const retried = (outcome: AttemptOutcome, method: string, idempotent: boolean | null = null) =>
    classify(outcome, { on: DEFAULT_ON, idempotent: isIdempotent(method, idempotent) }).retryable
  t.equal(retried(error('reset'), 'POST'), false, 'POST reset: may have been processed')
  t.equal(retried(error('reset'), 'POST', true), true, 'POST reset when the route is idempotent')
  t.equal(retried(error('connect-failure'), 'POST'), true, 'POST connect-failure: never sent')
  t.equal(retried(status(503), 'POST'), true, 'POST 503: not processed')
  t.equal(retried(status(429), 'POST'), true, 'POST 429: not processed')
  t.equal(retried(status(502), 'POST'), false, 'POST 502: may have been processed')
  t.equal(retried(status(502), 'GET'), true, 'GET 502')
  t.equal(retried(status(502), 'GET', false), false, 'GET 502 on a route marked non-idempotent')
  t.equal(retried(status(500), 'GET'), false, 'GET 500: not in the default list')
  t.equal(retried(status(404), 'GET'), false, '404 never')
  t.equal(retried(status(200), 'GET'), false, '200 never')
  t.equal(retried(error('tls'), 'GET'), false, 'tls never')
})

t.test('reason is the bounded metric label of the condition', async (t) => {
  t.equal(classify(status(503), { on: DEFAULT_ON, idempotent: false }).reason, '503')
  t.equal(classify(error('timeout'), { on: DEFAULT_ON, idempotent: false }).reason, 'timeout')
})
