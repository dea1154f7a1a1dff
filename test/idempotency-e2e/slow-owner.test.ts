// Owner-checked completion (issue 4, behaviour 1): an original that outlives lockTtl loses its claim
// to a retry, and when it finally answers it must not overwrite the retry's stored answer (only the
// claim's owner may complete or release it; compare-and-set, Truxify#4623). Its own client still
// gets its answer.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, post, replayed, STORE_TYPES, startUpstream, tracked, until, useStore } from './harness.js'

const PATH = '/v3/aml/'
const BODY = '{"full_name":"A"}'
const LOCK_TTL_MS = 1000

for (const type of STORE_TYPES) {
  t.test(`${type}: an original slower than lockTtl does not overwrite the retry that took its key`, async (t) => {
    const store = await useStore(t, type, { lockTtl: `${LOCK_TTL_MS}ms` })
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: PATH }, [
      // Answers well after the claim expired and the retry has been stored.
      { status: 200, delayMs: LOCK_TTL_MS + 1000, body: { answer: 'slow original' } },
      { status: 200, body: { answer: 'retry' } }
    ])
    didit.script({ path: PATH }, { status: 500, body: { detail: 'a third upstream call' } }, { repeat: true })
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      idempotency: { store: store.config, concurrent: 'reject' },
      retry: { backoff: FAST_BACKOFF }
    })
    const send = client(t)

    const original = tracked(send(`${sidecar.url}${PATH}`, post('slow-key', BODY)))
    await until(() => didit.count() === 1, 'the original upstream')
    const claimedBefore = didit.requests[0]?.receivedAt ?? Date.now()
    await until(() => Date.now() > claimedBefore + LOCK_TTL_MS + 200, 'the claim to expire')
    const retry = await send(`${sidecar.url}${PATH}`, post('slow-key', BODY))
    t.equal(retry.status, 200, 'after lockTtl the retry is forwarded')
    t.same(JSON.parse(retry.body.toString()), { answer: 'retry' })
    t.notOk(original.done(), 'while the original is still in flight')

    const slow = await original.promise
    t.same(JSON.parse(slow.body.toString()), { answer: 'slow original' }, 'the original still gets its own answer')
    const later = await send(`${sidecar.url}${PATH}`, post('slow-key', BODY))
    t.ok(replayed(later), 'a replay')
    t.same(
      JSON.parse(later.body.toString()),
      { answer: 'retry' },
      "the retry's answer: the original did not overwrite it"
    )
    t.equal(didit.count(), 2)
  })
}
