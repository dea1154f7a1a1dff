// The behaviour every IdempotencyStore shares; memory-store.test.ts and redis-store.test.ts run it.
import type { Test } from 'tap'
import type { IdempotencyStore, StoredResponse } from '../../src/idempotency/store.js'

export interface SuiteClock {
  /** The TTL of the expiry tests: long for a fake clock, ~150 ms for real time. */
  shortTtl: number
  /** Lets time pass: advances a fake clock, or sleeps. */
  elapse(ms: number): Promise<void>
  /** A fake clock is exact, so the suite also checks that entries live until just before their TTL. */
  exact: boolean
}

const LONG = 60_000
// Real time only: an entry written `shortTtl` ago plus this much is certainly gone.
const REAL_SLACK = 50

const json = (status = 200): StoredResponse => ({
  status,
  headers: { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] },
  body: Buffer.from('{"ok":true}')
})

export function storeBehaviour(t: Test, makeStore: () => IdempotencyStore, clock: SuiteClock): void {
  const fresh = (t: Test) => {
    const store = makeStore()
    t.teardown(() => store.close())
    return store
  }
  /** Lets an entry written just now expire; with a fake clock, first checks it is alive 1 ms before. */
  const expire = async (t: Test, store: IdempotencyStore, key: string) => {
    if (!clock.exact) return clock.elapse(clock.shortTtl + REAL_SLACK)
    await clock.elapse(clock.shortTtl - 1)
    t.not(await store.get(key), null, 'alive just before its TTL')
    await clock.elapse(1)
  }

  t.test('a claim on a taken key returns the in-flight entry', async (t) => {
    const store = fresh(t)
    const claimed = { state: 'in-flight', fingerprint: 'fp-1', owner: 'owner-a' }
    t.equal(await store.claim('k', 'fp-1', 'owner-a', LONG), null)
    t.same(await store.claim('k', 'fp-2', 'owner-b', LONG), claimed)
    t.same(await store.get('k'), claimed)
    t.equal(await store.get('unknown'), null)
  })

  t.test('only the owner completes its claim', async (t) => {
    const store = fresh(t)
    await store.claim('k', 'fp', 'owner-a', LONG)
    t.equal(await store.complete('k', 'owner-b', 'fp', json(), LONG), false)
    t.equal((await store.get('k'))?.state, 'in-flight')
    t.equal(await store.complete('k', 'owner-a', 'fp', json(), LONG), true)
    t.same(await store.get('k'), { state: 'completed', fingerprint: 'fp', response: json() })
    t.same(await store.claim('k', 'fp', 'owner-c', LONG), { state: 'completed', fingerprint: 'fp', response: json() })
    t.equal(await store.complete('k', 'owner-a', 'fp', json(500), LONG), false, 'a completed entry is final')
    t.equal(await store.complete('never-claimed', 'owner-a', 'fp', json(), LONG), false)
  })

  t.test('only the owner releases its claim', async (t) => {
    const store = fresh(t)
    await store.claim('k', 'fp', 'owner-a', LONG)
    t.equal(await store.release('k', 'owner-b'), false)
    t.equal((await store.get('k'))?.state, 'in-flight')
    t.equal(await store.release('k', 'owner-a'), true)
    t.equal(await store.get('k'), null)
    t.equal(await store.release('k', 'owner-a'), false)
    await store.claim('done', 'fp', 'owner-a', LONG)
    await store.complete('done', 'owner-a', 'fp', json(), LONG)
    t.equal(await store.release('done', 'owner-a'), false, 'a completed entry is not a claim')
    t.equal((await store.get('done'))?.state, 'completed')
  })

  t.test('a claim expires after lockTtl, and its owner can no longer settle it', async (t) => {
    const store = fresh(t)
    t.equal(await store.claim('k', 'fp', 'owner-a', clock.shortTtl), null)
    await expire(t, store, 'k')
    t.equal(await store.get('k'), null)
    t.equal(await store.complete('k', 'owner-a', 'fp', json(), LONG), false)
    t.equal(await store.claim('k', 'fp', 'owner-b', LONG), null, 'the key is free again')
    t.equal(await store.release('k', 'owner-a'), false)
  })

  t.test('only the owner renews its claim, which then lives lockTtl from the renewal', async (t) => {
    const store = fresh(t)
    t.equal(await store.claim('k', 'fp', 'owner-a', clock.shortTtl), null)
    t.equal(await store.renew('k', 'owner-b', LONG), false, 'not the owner')
    t.equal(await store.renew('k', 'owner-a', LONG), true)
    await clock.elapse(clock.shortTtl + REAL_SLACK)
    t.same(
      await store.get('k'),
      { state: 'in-flight', fingerprint: 'fp', owner: 'owner-a' },
      'alive past its first lockTtl'
    )
    t.equal(await store.renew('k', 'owner-a', clock.shortTtl), true, 'a renewal may also shorten it')
    await expire(t, store, 'k')
    t.equal(await store.get('k'), null)
    t.equal(await store.renew('k', 'owner-a', LONG), false, 'an expired claim is not renewed back')
    t.equal(await store.get('k'), null)
    await store.claim('done', 'fp', 'owner-a', LONG)
    await store.complete('done', 'owner-a', 'fp', json(), clock.shortTtl)
    t.equal(await store.renew('done', 'owner-a', LONG), false, 'a completed entry is not a claim')
    await expire(t, store, 'done')
    t.equal(await store.get('done'), null, 'and keeps its own ttl')
  })

  t.test('a completed entry expires after ttl', async (t) => {
    const store = fresh(t)
    await store.claim('k', 'fp', 'owner-a', LONG)
    t.equal(await store.complete('k', 'owner-a', 'fp', json(), clock.shortTtl), true)
    await expire(t, store, 'k')
    t.equal(await store.get('k'), null)
    t.equal(await store.claim('k', 'fp', 'owner-b', LONG), null)
  })

  t.test('a binary body round-trips byte for byte', async (t) => {
    const store = fresh(t)
    const body = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from([0xff, 0x00])])
    const headers = { 'content-type': 'application/octet-stream', 'x-latin1': 'caf\u00e9', vary: ['a', 'b'] }
    await store.claim('k', 'fp', 'owner-a', LONG)
    await store.complete('k', 'owner-a', 'fp', { status: 201, headers, body }, LONG)
    const entry = await store.get('k')
    if (entry?.state !== 'completed') return t.fail('not completed')
    t.ok(entry.response.body.equals(body), 'same bytes')
    t.equal(entry.response.status, 201)
    t.same(entry.response.headers, headers)
  })
}
