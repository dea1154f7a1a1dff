// Two replicas sharing one Redis (issue 4, Tests): a duplicate that lands on the other replica at
// the same moment is deduplicated as well — one upstream call, identical answers, one of them
// marked as a replay. The claim is atomic in Redis, not in either process.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, idempotencyCount, metricsAfter, post, replayed, startUpstream, useStore } from './harness.js'

const PATH = '/v3/aml/'
const KEYS = ['replica-key-1', 'replica-key-2', 'replica-key-3']

t.test('redis: the same key and body sent to two replicas at once → one upstream call', async (t) => {
  const store = await useStore(t, 'redis')
  if (store === null) return
  const didit = await startUpstream(t)
  for (const [i] of KEYS.entries()) {
    didit.script({ path: `${PATH}${i}/` }, { status: 201, delayMs: 300, body: { request_id: `r-${i}` } })
    didit.script(
      { path: `${PATH}${i}/` },
      { status: 500, body: { detail: 'a second upstream call' } },
      { repeat: true }
    )
  }
  const document = {
    upstream: { url: didit.url },
    idempotency: { store: store.config, concurrent: 'wait', waitTimeout: '10s' },
    retry: { backoff: FAST_BACKOFF }
  }
  const replicas = [await startSidecar(t, document), await startSidecar(t, document)]
  const send = client(t)

  // Several keys in parallel, each sent to both replicas at the same moment: more chances for a race.
  const pairs = await Promise.all(
    KEYS.map((key, i) =>
      Promise.all(replicas.map((replica) => send(`${replica.url}${PATH}${i}/`, post(key, `{"n":${i}}`))))
    )
  )

  for (const [i, [one, other]] of pairs.entries()) {
    if (one === undefined || other === undefined) throw new Error('two answers expected')
    t.equal(didit.count({ path: `${PATH}${i}/` }), 1, `${KEYS[i]}: exactly one upstream call`)
    t.equal(one.status, 201, `${KEYS[i]}: status`)
    t.equal(other.status, one.status, `${KEYS[i]}: identical status`)
    t.same(other.body, one.body, `${KEYS[i]}: identical body`)
    t.same(JSON.parse(one.body.toString()), { request_id: `r-${i}` })
    t.equal(other.headers['content-type'], one.headers['content-type'], `${KEYS[i]}: identical content-type`)
    t.equal([one, other].filter(replayed).length, 1, `${KEYS[i]}: one of the two marked as a replay`)
  }

  const counts = await Promise.all(replicas.map((replica) => metricsAfter(replica, KEYS.length)))
  const total = (result: string) => counts.reduce((sum, text) => sum + idempotencyCount(text, result), 0)
  t.equal(total('new'), KEYS.length, 'one first use per key across both replicas')
  t.equal(total('coalesced') + total('replayed'), KEYS.length, 'one answer per key from the store')
  t.equal(total('conflict'), 0)
  t.equal(total('store_error'), 0)
})
