// What a replay carries (issue 11, item 9): the stored status, body and content headers, a fresh
// Date, no Set-Cookie, nothing the original did not have (no invented content-type) and
// Idempotent-Replayed: true. Per-response headers are never stored, so Redis holds no cookie.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, metricsAfter, post, replayed, STORE_TYPES, startUpstream, useStore } from './harness.js'

const PATH = '/v3/aml/'
const STALE_DATE = 'Wed, 21 Oct 2015 07:28:00 GMT'
const BODY = Buffer.from('plain answer bytes, no content type')
const UPSTREAM_HEADERS = {
  date: STALE_DATE,
  'set-cookie': ['session=secret-cookie-value; HttpOnly', 'other=2'],
  'cache-control': 'no-store',
  'x-ratelimit-remaining': '7'
}

for (const type of STORE_TYPES) {
  t.test(`${type}: a replay has a fresh Date, no Set-Cookie, no invented content-type`, async (t) => {
    const store = await useStore(t, type)
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: PATH }, { status: 200, headers: UPSTREAM_HEADERS, body: BODY })
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      idempotency: { store: store.config },
      retry: { backoff: FAST_BACKOFF }
    })
    const send = client(t)

    const first = await send(`${sidecar.url}${PATH}`, post('headers-key', '{}'))
    t.equal(first.headers.date, STALE_DATE, "the original passes Didit's headers through")
    t.same(first.headers['set-cookie'], UPSTREAM_HEADERS['set-cookie'])
    t.notOk('content-type' in first.headers, 'the original has no content-type')
    await metricsAfter(sidecar, 1)

    const again = await send(`${sidecar.url}${PATH}`, post('headers-key', '{}'))
    t.ok(replayed(again), 'Idempotent-Replayed: true')
    t.equal(again.status, 200, 'the stored status')
    t.same(again.body, BODY, 'the stored body')
    t.equal(again.headers['content-length'], String(BODY.length))
    t.notOk('set-cookie' in again.headers, 'no Set-Cookie')
    t.notOk('content-type' in again.headers, 'no content-type the original did not have')
    t.not(again.headers.date, STALE_DATE, 'not the original Date')
    t.ok(Math.abs(Date.parse(String(again.headers.date)) - Date.now()) < 60_000, 'a fresh Date')
    t.equal(again.headers['cache-control'], 'no-store', 'content handling kept')
    t.notOk('x-ratelimit-remaining' in again.headers, 'per-response headers dropped')
    t.equal(didit.count(), 1)

    if (type === 'redis') {
      const stored = [...(await store.dump()).values()].join('\n')
      t.ok(stored.includes('no-store'), 'the kept headers are in Redis')
      t.notOk(stored.includes('secret-cookie-value'), 'no cookie in Redis')
      t.notOk(stored.includes(STALE_DATE), 'nor the Date')
    }
  })
}
