// What is not stored (issue 4, behaviour 5): answers that mean "not processed, try again" — an
// upstream 429 or 503, the sidecar's own 502 for an unreachable upstream, and on an idempotent route
// its 502/504 after a reset or timeout — release the key, so the client's next try goes upstream
// (on a POST route those are stored: ambiguous-*.test.ts). Any other upstream answer is stored, 500 included (Stripe replays its 500s). An answer
// over maxResponseBody is not stored either, yet its own client still gets all of it, and a duplicate
// that arrived while it was in flight is still deduplicated (config.yaml: "concurrent duplicates are
// still coalesced"): it must not become a second upstream call.
import { createHash, randomBytes } from 'node:crypto'
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
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
  type StoreUnderTest,
  startUpstream,
  until,
  useStore
} from './harness.js'

const PATH = '/v3/aml/'
const BODY = '{"full_name":"A"}'
const OK = { status: 200, body: { request_id: 'second-try' } }
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

/**
 * One attempt per request, so that the client sees the first answer as it is. `wait` with a short
 * waitTimeout: a release that lands a moment late is waited for, a claim never released gives 409.
 */
function config(url: string, store: StoreUnderTest, extra: Record<string, unknown> = {}) {
  return {
    upstream: { url },
    idempotency: { store: { ...store.config, maxResponseBody: '1KiB' }, concurrent: 'wait', waitTimeout: '2s' },
    retry: { maxAttempts: 1, backoff: FAST_BACKOFF, ...extra }
  }
}

for (const type of STORE_TYPES) {
  for (const status of [429, 503]) {
    t.test(`${type}: upstream ${status} (not retried) → key released, the next try goes upstream`, async (t) => {
      const store = await useStore(t, type)
      if (store === null) return
      const didit = await startUpstream(t)
      didit.script({ path: PATH }, [
        { status, headers: { 'retry-after': '1' }, body: { detail: 'try again later' } },
        OK
      ])
      const sidecar = await startSidecar(t, config(didit.url, store))
      const send = client(t)

      const refused = await send(`${sidecar.url}${PATH}`, post(`key-${status}`, BODY))
      t.equal(refused.status, status, "the upstream's answer reaches the client")
      t.equal(refused.headers['retry-after'], '1')
      await metricsAfter(sidecar, 1)

      const next = await send(`${sidecar.url}${PATH}`, post(`key-${status}`, BODY))
      t.equal(next.status, 200, 'the next try is forwarded')
      t.notOk(replayed(next), `not a replay of the ${status}`)
      t.equal(didit.count(), 2, 'upstream saw both')

      const again = await send(`${sidecar.url}${PATH}`, post(`key-${status}`, BODY))
      t.ok(replayed(again), 'the 200 is stored')
      t.equal(didit.count(), 2)
      const metrics = await metricsAfter(sidecar, 3)
      t.equal(idempotencyCount(metrics, 'new'), 2, 'two first uses: the 429/503 released the key')
    })
  }

  t.test(`${type}: a duplicate waiting on an original that ends in 503 is not handed the 503`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: PATH }, [{ status: 503, delayMs: 300, body: { detail: 'try again later' } }, OK])
    const sidecar = await startSidecar(t, config(didit.url, store))
    const send = client(t)

    const original = send(`${sidecar.url}${PATH}`, post('key-waiter', BODY))
    await until(() => didit.count() === 1, 'the original upstream')
    const duplicate = await send(`${sidecar.url}${PATH}`, post('key-waiter', BODY))
    t.equal((await original).status, 503, 'the original gets its 503')
    t.notOk(replayed(duplicate), 'the released 503 is never replayed')
    // The issue leaves open whether the waiter then takes the released key (the 503 was not
    // processed, so a second call costs nothing) or gets a 409 and retries: either is right.
    if (duplicate.status === 409) {
      assertProblem(t, duplicate, 409, 'idempotency_conflict', 'the waiter')
      t.equal(didit.count(), 1)
    } else {
      t.equal(duplicate.status, 200, 'the waiter took the released key and was forwarded')
      t.equal(didit.count(), 2)
    }
  })

  t.test(`${type}: the sidecar's own 502 (upstream unreachable) → key released`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    // Start a fake to learn a free port, then close it: nothing listens there for the first try.
    const probe = await startFakeDidit()
    const port = probe.port
    await probe.close()
    const sidecar = await startSidecar(t, config(`http://127.0.0.1:${port}`, store))
    const send = client(t)

    const unreachable = await send(`${sidecar.url}${PATH}`, post('key-502', BODY))
    assertProblem(t, unreachable, 502, 'upstream_unreachable')
    await metricsAfter(sidecar, 1)

    const didit = await startFakeDidit({ port })
    t.teardown(() => didit.close())
    didit.script({ path: PATH }, OK)
    const next = await send(`${sidecar.url}${PATH}`, post('key-502', BODY))
    t.equal(next.status, 200, 'the next try is forwarded once the upstream is back')
    t.notOk(replayed(next), 'the 502 was not stored')
    t.equal(didit.count(), 1)
  })

  // Repeating is safe on an idempotent route, so an ambiguous failure still releases the key there.
  t.test(
    `${type}: idempotent route: the sidecar's own 502 (reset) and 504 (per-try timeout) → key released`,
    async (t) => {
      const store = await useStore(t, type)
      if (store === null) return
      const didit = await startUpstream(t)
      didit.script({ path: '/v3/reset/' }, [{ action: 'reset' }, OK])
      didit.script({ path: '/v3/slow/' }, [{ status: 200, delayMs: 3000, body: { late: true } }, OK])
      const sidecar = await startSidecar(t, config(didit.url, store, { perTryTimeout: '200ms', idempotent: true }))
      const send = client(t)

      const reset = await send(`${sidecar.url}/v3/reset/`, post('key-reset', BODY))
      assertProblem(t, reset, 502, 'upstream_reset')
      const timedOut = await send(`${sidecar.url}/v3/slow/`, post('key-slow', BODY))
      assertProblem(t, timedOut, 504, 'upstream_timeout')
      await metricsAfter(sidecar, 2)

      for (const [path, key] of [
        ['/v3/reset/', 'key-reset'],
        ['/v3/slow/', 'key-slow']
      ] as const) {
        const next = await send(`${sidecar.url}${path}`, post(key, BODY))
        t.equal(next.status, 200, `${path}: the next try is forwarded`)
        t.notOk(replayed(next), `${path}: not a replay`)
        t.equal(didit.count({ path }), 2, `${path}: upstream saw both`)
      }
    }
  )

  t.test(`${type}: upstream 500 → stored and replayed (Stripe semantics)`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: PATH }, [{ status: 500, body: { detail: 'A server error occurred.' } }, OK])
    const sidecar = await startSidecar(t, config(didit.url, store))
    const send = client(t)

    const failed = await send(`${sidecar.url}${PATH}`, post('key-500', BODY))
    t.equal(failed.status, 500)
    await metricsAfter(sidecar, 1)
    const again = await send(`${sidecar.url}${PATH}`, post('key-500', BODY))
    t.equal(again.status, 500, 'the stored 500')
    t.ok(replayed(again), 'marked as a replay')
    t.same(again.body, failed.body)
    t.equal(didit.count(), 1, 'upstream not called again')
  })

  t.test(`${type}: an answer over maxResponseBody → its client gets all of it, but it is not stored`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    const large = randomBytes(4096)
    const atLimit = randomBytes(1024)
    const binary = { 'content-type': 'application/octet-stream' }
    // Chunked: the limit is crossed partway through the body, not known from a Content-Length.
    didit.script({ path: '/v3/large/' }, { status: 200, headers: binary, body: large, chunked: true }, { repeat: true })
    didit.script({ path: '/v3/at-limit/' }, { status: 200, headers: binary, body: atLimit }, { repeat: true })
    const sidecar = await startSidecar(t, config(didit.url, store))
    const send = client(t)

    for (const n of [1, 2]) {
      const answer = await send(`${sidecar.url}/v3/large/`, post('key-large', BODY))
      t.equal(answer.status, 200, `#${n}: status`)
      t.equal(answer.body.length, large.length, `#${n}: all 4 KiB reach the client`)
      t.equal(sha256(answer.body), sha256(large), `#${n}: the same bytes`)
      t.notOk(replayed(answer), `#${n}: not a replay`)
      await metricsAfter(sidecar, n)
    }
    t.equal(didit.count({ path: '/v3/large/' }), 2, 'not stored: the second request went upstream again')

    const first = await send(`${sidecar.url}/v3/at-limit/`, post('key-at-limit', BODY))
    await metricsAfter(sidecar, 3)
    const second = await send(`${sidecar.url}/v3/at-limit/`, post('key-at-limit', BODY))
    t.same(first.body, atLimit)
    t.ok(replayed(second), 'exactly maxResponseBody bytes is still stored')
    t.equal(sha256(second.body), sha256(atLimit))
    t.equal(didit.count({ path: '/v3/at-limit/' }), 1)
  })

  t.test(`${type}: over maxResponseBody → a duplicate that was in flight still never reaches upstream`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    const large = randomBytes(4096)
    didit.script(
      { path: '/v3/large/' },
      { status: 200, delayMs: 300, headers: { 'content-type': 'application/octet-stream' }, body: large },
      { repeat: true }
    )
    const sidecar = await startSidecar(t, {
      ...config(didit.url, store),
      idempotency: { store: { ...store.config, maxResponseBody: '1KiB' }, concurrent: 'wait', waitTimeout: '5s' }
    })
    const send = client(t)

    const original = send(`${sidecar.url}/v3/large/`, post('key-large-inflight', BODY))
    await until(() => didit.count() === 1, 'the original upstream')
    const duplicate = await send(`${sidecar.url}/v3/large/`, post('key-large-inflight', BODY))
    const first = await original
    t.equal(sha256(first.body), sha256(large), 'the original gets all of its answer')
    t.equal(didit.count(), 1, 'upstream saw one request: the in-flight duplicate was deduplicated')
    // Nothing can be replayed, so the one answer left for the waiter is the conflict (issue 4, behaviour 3).
    assertProblem(t, duplicate, 409, 'idempotency_conflict', 'the duplicate')
  })
}
