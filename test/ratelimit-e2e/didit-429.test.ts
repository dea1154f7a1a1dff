// Issue 8, Tests: a Didit 429 with Retry-After: 2 on one replica pauses that API key on the other
// replica too: its next request is answered 429 rate_limited locally and never reaches Didit,
// while other keys go on; once the pause is over, requests flow again.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { client } from '../helpers/client.js'
import { startUpstream } from '../helpers/e2e.js'
import {
  assertProblem,
  metricsOf,
  PATH,
  post,
  rateLimitCount,
  redisStore,
  startReplicas,
  useRedis,
  writes
} from './harness.js'

t.test("Didit's 429 on replica A pauses the key on replica B", async (t) => {
  const redis = await useRedis(t)
  if (redis === null) return
  const didit = await startUpstream(t)
  didit.script(
    { method: 'POST', path: PATH },
    [
      { status: 429, headers: { 'retry-after': '2' }, body: { detail: 'Write request rate limit exceeded.' } },
      { status: 200, body: { request_id: 'r' } }
    ],
    { repeat: true }
  )
  const document = {
    upstream: { url: didit.url },
    // 429 not retried here, so that A's client sees Didit's answer itself.
    retry: { on: [503] },
    rateLimit: { store: redisStore(redis), maxWait: 0, margin: '0ms', limits: writes(100, '60s') }
  }
  const [a, b] = await startReplicas(t, didit, document)
  if (a === undefined || b === undefined) throw new Error('two replicas')
  const send = client(t)
  const key = { 'x-api-key': 'key-1' }

  const first = await send(`${a.url}${PATH}`, post(1, key))
  t.equal(first.status, 429, "A's client gets Didit's own 429")
  t.match(first.body.toString(), /rate limit exceeded/, 'unchanged')

  const paused = await send(`${b.url}${PATH}`, post(2, key))
  assertProblem(t, paused, 429, 'rate_limited', 'B, same key')
  t.equal(JSON.parse(paused.body.toString()).limit, 'writes')
  t.ok(['1', '2'].includes(String(paused.headers['retry-after'])), `Retry-After ${paused.headers['retry-after']}`)
  t.equal(didit.requests.length, 1, 'B sent nothing to Didit')

  const other = await send(`${b.url}${PATH}`, post(3, { 'x-api-key': 'key-2' }))
  t.equal(other.status, 200, 'another API key is not paused')

  await sleep(Number(paused.headers['retry-after']) * 1000)
  const after = await send(`${b.url}${PATH}`, post(4, key))
  t.equal(after.status, 200, 'after Retry-After the key flows again')

  const texts = await metricsOf([a, b])
  t.equal(rateLimitCount(texts.slice(0, 1), { result: 'upstream_429', limit: 'writes' }), 1, 'A counted it')
  t.equal(rateLimitCount(texts.slice(1), { result: 'rejected', limit: 'writes' }), 1, 'B refused once')
})
