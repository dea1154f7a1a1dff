// Concurrent duplicates (issue 4, behaviour 3): while the original is in flight, requests with the
// same key and body never reach upstream. `wait`: they get the original's answer, marked as a
// replay; `reject`, or `wait` past waitTimeout: 409 problem+json with Retry-After (IETF draft).
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import {
  assertProblem,
  FAST_BACKOFF,
  idempotencyCount,
  metricsAfter,
  post,
  replayed,
  STORE_TYPES,
  startUpstream,
  tracked,
  until,
  useStore
} from './harness.js'

const PATH = '/v3/aml/'
const BODY = '{"full_name":"A"}'

for (const type of STORE_TYPES) {
  t.test(`${type}: 5 duplicates at once → one upstream call, the same answer for all, 4 marked replayed`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: PATH }, { status: 200, delayMs: 300, body: { request_id: 'r-1', status: 'done' } })
    didit.script({ path: PATH }, { status: 500, body: { detail: 'a second upstream call' } }, { repeat: true })
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      idempotency: { store: store.config, concurrent: 'wait', waitTimeout: '10s' },
      retry: { backoff: FAST_BACKOFF }
    })
    const send = client(t)

    const answers = await Promise.all(
      Array.from({ length: 5 }, () => send(`${sidecar.url}${PATH}`, post('burst-key', BODY)))
    )

    t.equal(didit.count(), 1, 'upstream saw exactly one request')
    t.equal(didit.requests[0]?.headers['idempotency-key'], 'burst-key')
    for (const [i, answer] of answers.entries()) {
      t.equal(answer.status, 200, `#${i}: status`)
      t.same(JSON.parse(answer.body.toString()), { request_id: 'r-1', status: 'done' }, `#${i}: body`)
      t.equal(answer.headers['content-type'], 'application/json', `#${i}: content-type`)
    }
    t.ok(
      answers.every((answer) => answer.body.equals(answers[0]?.body ?? Buffer.alloc(0))),
      'identical bytes for all'
    )
    const marked = answers.filter(replayed)
    t.equal(marked.length, 4, '4 marked Idempotent-Replayed')
    t.ok(
      marked.every((answer) => answer.headers['x-sidecar-attempts'] === '0'),
      'replays made no attempt'
    )
    t.equal(answers.find((answer) => !replayed(answer))?.headers['x-sidecar-attempts'], '1', 'the original: 1 attempt')

    const metrics = await metricsAfter(sidecar, 5)
    t.equal(idempotencyCount(metrics, 'new'), 1, 'one new')
    // They arrive while the original is in flight, so they wait (coalesced); one arriving after it
    // finished on a very slow machine would be a plain replay, which is just as right.
    const coalesced = idempotencyCount(metrics, 'coalesced')
    t.equal(coalesced + idempotencyCount(metrics, 'replayed'), 4, 'four answered from the store')
    t.ok(coalesced >= 1, 'at least one waited for the original')
    t.equal(idempotencyCount(metrics, 'conflict'), 0, 'no conflict')
  })

  t.test(`${type}: concurrent=reject → duplicates get 409 + Retry-After at once, then the replay`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    // Long enough that the 409s clearly arrive while the original is still in flight.
    didit.script({ path: PATH }, { status: 200, delayMs: 1000, body: { request_id: 'r-2' } })
    didit.script({ path: PATH }, { status: 500, body: { detail: 'a second upstream call' } }, { repeat: true })
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      idempotency: { store: store.config, concurrent: 'reject' },
      retry: { backoff: FAST_BACKOFF }
    })
    const send = client(t)

    const original = tracked(send(`${sidecar.url}${PATH}`, post('reject-key', BODY)))
    await until(() => didit.count() === 1, 'the original upstream')
    const duplicates = await Promise.all(
      Array.from({ length: 4 }, () => send(`${sidecar.url}${PATH}`, post('reject-key', BODY)))
    )
    t.notOk(original.done(), 'all four answered while the original is still in flight')
    for (const [i, duplicate] of duplicates.entries()) {
      assertProblem(t, duplicate, 409, 'idempotency_conflict', `#${i}`)
      t.match(duplicate.headers['retry-after'], /^[1-9]\d*$/, `#${i}: Retry-After in whole seconds, at least 1`)
      t.notOk(replayed(duplicate), `#${i}: not a replay`)
    }

    const first = await original.promise
    t.equal(first.status, 200, 'the original completes')
    await metricsAfter(sidecar, 5)
    const later = await send(`${sidecar.url}${PATH}`, post('reject-key', BODY))
    t.equal(later.status, 200, 'after completion: the replay')
    t.ok(replayed(later))
    t.same(later.body, first.body)
    t.equal(didit.count(), 1, 'upstream saw one request')

    const metrics = await metricsAfter(sidecar, 6)
    t.equal(idempotencyCount(metrics, 'conflict'), 4, 'four conflicts counted')
    t.equal(idempotencyCount(metrics, 'new'), 1)
    t.equal(idempotencyCount(metrics, 'replayed'), 1)
  })

  t.test(`${type}: concurrent=wait past waitTimeout → 409 + Retry-After`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: PATH }, { status: 200, delayMs: 600, body: { request_id: 'r-3' } })
    didit.script({ path: PATH }, { status: 500, body: { detail: 'a second upstream call' } }, { repeat: true })
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      idempotency: { store: store.config, concurrent: 'wait', waitTimeout: '100ms', pollInterval: '20ms' },
      retry: { backoff: FAST_BACKOFF }
    })
    const send = client(t)

    const original = tracked(send(`${sidecar.url}${PATH}`, post('timeout-key', BODY)))
    await until(() => didit.count() === 1, 'the original upstream')
    const started = performance.now()
    const duplicate = await send(`${sidecar.url}${PATH}`, post('timeout-key', BODY))
    const waited = performance.now() - started
    assertProblem(t, duplicate, 409, 'idempotency_conflict')
    t.match(duplicate.headers['retry-after'], /^[1-9]\d*$/, 'Retry-After in whole seconds, at least 1')
    // Lower bound only (a loaded machine may be slower, never faster); a little slack for timer rounding.
    t.ok(waited >= 90, `it waited for waitTimeout first (${Math.round(waited)} ms)`)

    t.equal((await original.promise).status, 200, 'the original completes')
    await metricsAfter(sidecar, 2)
    const later = await send(`${sidecar.url}${PATH}`, post('timeout-key', BODY))
    t.equal(later.status, 200)
    t.ok(replayed(later), 'after completion: the replay')
    t.equal(didit.count(), 1, 'upstream saw one request')
    const metrics = await metricsAfter(sidecar, 3)
    t.equal(idempotencyCount(metrics, 'conflict'), 1, 'one conflict counted')
  })
}
