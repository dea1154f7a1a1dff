// A slow owner keeps its key (issue 7 item 3): an original that runs for several lockTtls renews
// its claim, so a client retry arriving after lockTtl is refused with 409 instead of reaching
// upstream a second time; the original's answer is stored and replayed afterwards.
// (That only the owner may complete its claim is the stores' behaviour suite.)
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import {
  assertProblem,
  FAST_BACKOFF,
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
const LOCK_TTL_MS = 1000
/** The original runs for three lockTtls. */
const ORIGINAL_MS = 3 * LOCK_TTL_MS

for (const type of STORE_TYPES) {
  t.test(`${type}: an original slower than lockTtl keeps its key; retries meanwhile get 409`, async (t) => {
    const store = await useStore(t, type, { lockTtl: `${LOCK_TTL_MS}ms` })
    if (store === null) return
    const didit = await startUpstream(t)
    didit.script({ path: PATH }, { status: 200, delayMs: ORIGINAL_MS, body: { answer: 'slow original' } })
    didit.script({ path: PATH }, { status: 200, body: { answer: 'a retry reached upstream' } }, { repeat: true })
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      idempotency: { store: store.config, concurrent: 'reject' },
      retry: { backoff: FAST_BACKOFF }
    })
    const send = client(t)

    const original = tracked(send(`${sidecar.url}${PATH}`, post('slow-key', BODY)))
    await until(() => didit.count() === 1, 'the original upstream')
    const claimedBefore = didit.requests[0]?.receivedAt ?? Date.now()
    for (const lockTtls of [1.3, 2.3]) {
      await until(() => Date.now() > claimedBefore + lockTtls * LOCK_TTL_MS, `${lockTtls} lockTtls`, ORIGINAL_MS * 2)
      const retry = await send(`${sidecar.url}${PATH}`, post('slow-key', BODY))
      assertProblem(t, retry, 409, 'idempotency_conflict', `a retry after ${lockTtls} lockTtls`)
      t.notOk(original.done(), 'while the original is still in flight')
    }
    t.equal(didit.count(), 1, 'no retry reached upstream')

    const slow = await original.promise
    t.same(JSON.parse(slow.body.toString()), { answer: 'slow original' })
    const later = await send(`${sidecar.url}${PATH}`, post('slow-key', BODY))
    t.ok(replayed(later), "the original's answer was stored")
    t.same(JSON.parse(later.body.toString()), { answer: 'slow original' })
    t.equal(didit.count(), 1)
  })
}
