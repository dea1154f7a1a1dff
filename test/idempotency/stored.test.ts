import t from 'tap'
import { Coordinator } from '../../src/idempotency/coordinator.js'
import { MemoryStore } from '../../src/idempotency/memory-store.js'
import { DEFAULT_RELEASE_ON, replayedHeaders, shouldStore } from '../../src/idempotency/stored.js'

t.test('shouldStore: the default releases 429 and 503', async (t) => {
  t.same(DEFAULT_RELEASE_ON, [429, 503])
  const table: [number, boolean, number, boolean][] = [
    [200, true, 10, true],
    [201, true, 1024, true],
    [400, true, 10, true],
    [500, true, 10, true],
    [502, true, 10, true],
    [429, true, 10, false],
    [503, true, 10, false],
    [502, false, 10, false],
    [504, false, 10, false],
    [200, true, 1025, false]
  ]
  for (const [status, fromUpstream, bytes, expected] of table)
    t.equal(shouldStore(status, fromUpstream, bytes, 1024), expected, `${status} ${fromUpstream} ${bytes}`)
})

t.test('shouldStore: releaseOn replaces the default', async (t) => {
  t.notOk(shouldStore(502, true, 10, 1024, [429, 502, 503]), '502 released')
  t.ok(shouldStore(503, true, 10, 1024, [502]), '503 stored when not listed')
  t.ok(shouldStore(429, true, 10, 1024, []), 'nothing released')
  t.notOk(shouldStore(200, false, 10, 1024, []), "the sidecar's own answers are never stored")
})

t.test("settle honours the answer's releaseOn", async (t) => {
  const coordinator = new Coordinator(new MemoryStore({ maxEntries: 10 }), {
    concurrent: 'reject',
    waitTimeout: 1000,
    pollInterval: 50,
    lockTtl: 60_000,
    ttl: 60_000,
    maxResponseBody: 1024,
    onStoreError: 'pass'
  })
  const answer = { status: 502, headers: {}, body: Buffer.from('{}'), fromUpstream: true }
  for (const [key, releaseOn, expected] of [
    ['a', [429, 502, 503], 'released'],
    ['b', undefined, 'stored']
  ] as const) {
    const admission = await coordinator.admit(key, 'fp')
    if (admission.action !== 'proceed') throw new Error(admission.action)
    t.equal(await coordinator.settle(admission.claim, { ...answer, releaseOn }), expected, `${key}: ${expected}`)
  }
})

t.test('replayedHeaders keeps the content headers and drops per-response ones', async (t) => {
  const upstream = {
    'content-type': 'application/json',
    'content-encoding': 'gzip',
    'content-language': 'en',
    'content-disposition': 'attachment; filename="r.pdf"',
    'content-location': '/v3/r/1',
    location: '/v3/session/1/',
    'cache-control': 'no-store',
    'www-authenticate': 'Bearer',
    allow: 'POST',
    date: 'Wed, 21 Oct 2015 07:28:00 GMT',
    'set-cookie': ['a=1', 'b=2'],
    etag: '"x"',
    'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT',
    expires: 'Wed, 21 Oct 2015 08:28:00 GMT',
    age: '10',
    vary: 'accept',
    'retry-after': '5',
    'x-ratelimit-remaining': '7',
    'x-didit-trace': 't-1',
    server: 'didit',
    'content-length': '2'
  }
  t.same(Object.keys(replayedHeaders(upstream)).sort(), [
    'allow',
    'cache-control',
    'content-disposition',
    'content-encoding',
    'content-language',
    'content-location',
    'content-type',
    'location',
    'www-authenticate'
  ])
  t.same(replayedHeaders({}), {}, 'nothing invented')
})
