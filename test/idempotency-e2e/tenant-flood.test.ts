// Tenant isolation of the memory store (issue 11 item 2): tenant B floods the sidecar with fresh
// keys, first answers then requests still in flight, while tenant A has one stored answer and one
// request in flight. B holds at most its share of the store (scopeShare of maxEntries) and only its
// own answers are evicted: A's retry is replayed, A's duplicate is not forwarded.
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
  startUpstream,
  tracked,
  until,
  useStore
} from './harness.js'

const BODY = '{"full_name":"A"}'
const MAX_ENTRIES = 20
const B_ANSWERS = 100
/** More in-flight claims than the whole store holds. */
const B_IN_FLIGHT = MAX_ENTRIES + 5
const CONCURRENCY = 10

const a = { 'x-api-key': 'tenant-a-key' }
const b = { 'x-api-key': 'tenant-b-key' }

t.test('memory: tenant B flooding fresh keys evicts neither A’s answer nor A’s in-flight claim', async (t) => {
  const store = await useStore(t, 'memory', { maxEntries: MAX_ENTRIES, scopeShare: 0.5 })
  if (store === null) return
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/session/' }, { status: 200, body: { answer: 'session' } }, { repeat: true })
  // In flight until the upstream closes at the end, however slow the floods are on a loaded machine.
  didit.script({ path: '/v3/slow-a/' }, { action: 'hang' })
  didit.script({ path: '/v3/slow-b/' }, { action: 'hang' }, { repeat: true })
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    idempotency: { store: store.config, concurrent: 'reject' },
    retry: { backoff: FAST_BACKOFF }
  })
  const send = client(t)
  const upstreamFor = (key: string) => didit.requests.filter((r) => r.headers['idempotency-key'] === key).length

  t.equal((await send(`${sidecar.url}/v3/session/`, post('a-stored', BODY, a))).status, 200, 'A stores an answer')
  const aFlight = tracked(send(`${sidecar.url}/v3/slow-a/`, post('a-flight', BODY, a)))
  await until(() => upstreamFor('a-flight') === 1, "A's original upstream")

  for (let sent = 0; sent < B_ANSWERS; sent += CONCURRENCY) {
    const batch = Array.from({ length: CONCURRENCY }, (_, i) =>
      send(`${sidecar.url}/v3/session/`, post(`b-answer-${sent + i}`, BODY, b))
    )
    const statuses = (await Promise.all(batch)).map((response) => response.status)
    if (statuses.some((status) => status !== 200)) t.fail(`B's answers: ${statuses}`)
  }
  const bSlow = Promise.all(
    Array.from({ length: B_IN_FLIGHT }, (_, i) => send(`${sidecar.url}/v3/slow-b/`, post(`b-flight-${i}`, BODY, b)))
  )
  await until(() => didit.count({ path: '/v3/slow-b/' }) === B_IN_FLIGHT, "B's requests upstream", 15_000)
  t.notOk(aFlight.done(), "A's original is still in flight")

  const duplicate = await send(`${sidecar.url}/v3/slow-a/`, post('a-flight', BODY, a))
  assertProblem(t, duplicate, 409, 'idempotency_conflict', "A's duplicate")
  t.equal(upstreamFor('a-flight'), 1, "A's duplicate was not forwarded")
  const retry = await send(`${sidecar.url}/v3/session/`, post('a-stored', BODY, a))
  t.ok(replayed(retry), "A's retry is replayed")
  t.equal(upstreamFor('a-stored'), 1, 'and not billed twice')

  const metrics = await metricsAfter(sidecar, 1 + B_ANSWERS + 2)
  t.equal(
    idempotencyCount(metrics, 'store_error'),
    B_IN_FLIGHT - MAX_ENTRIES / 2,
    "B's claims beyond its share (half of maxEntries) were refused as store errors, and passed"
  )
  await didit.close()
  await Promise.all([aFlight.promise, bSlow])
})
