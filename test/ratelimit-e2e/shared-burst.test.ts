// Issue 8, Tests: two sidecars share one Redis, a limit of 10 per 2 s, 40 concurrent POSTs split
// between them, maxWait 0. Didit never receives more than 10 in any 2 s, the rest get 429
// rate_limited at once with a Retry-After right to within a second, and Didit answers no 429.
import t from 'tap'
import { client } from '../helpers/client.js'
import {
  assertProblem,
  FAST_BACKOFF,
  maxInWindow,
  metricsOf,
  PATH,
  post,
  rateLimitCount,
  redisStore,
  startReplicas,
  upstream,
  useRedis,
  writes
} from './harness.js'

const WINDOW = 2000
const MARGIN = 300

t.test('40 POSTs at once through two replicas: 10 reach Didit, 30 get 429 rate_limited', async (t) => {
  const redis = await useRedis(t)
  if (redis === null) return
  const didit = await upstream(t)
  const document = {
    upstream: { url: didit.url },
    rateLimit: { store: redisStore(redis), maxWait: 0, margin: `${MARGIN}ms`, limits: writes(10, '2s') },
    retry: { backoff: FAST_BACKOFF }
  }
  const replicas = await startReplicas(t, didit, document)
  const send = client(t)

  const answers = await Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      const response = await send(`${replicas[i % 2]?.url}${PATH}`, post(i))
      return { response, at: Date.now() }
    })
  )

  const arrivals = didit.requests.map((request) => request.receivedAt)
  t.ok(maxInWindow(arrivals, WINDOW) <= 10, `at most 10 in any 2 s: ${maxInWindow(arrivals, WINDOW)}`)
  const ok = answers.filter(({ response }) => response.status === 200)
  const refused = answers.filter(({ response }) => response.status !== 200)
  t.ok(ok.length >= 10, `the limit is used, not wasted: ${ok.length} admitted`)
  t.equal(ok.length, didit.requests.length, 'every admitted request reached Didit once; no refused one did')
  t.ok(refused.length >= 20, `${refused.length} refused`)

  // The first slot frees one window (plus the margin) after the first admitted request was sent.
  const frees = Math.min(...arrivals) + WINDOW + MARGIN
  for (const { response, at } of refused) {
    assertProblem(t, response, 429, 'rate_limited')
    t.equal(JSON.parse(response.body.toString()).limit, 'writes', 'names the limit that refused it')
    const retryAfter = Number(response.headers['retry-after'])
    t.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After in whole seconds: ${retryAfter}`)
    const told = at + retryAfter * 1000
    // Not too early (a slot is free by then), and at most a second late (rounding up), with slack
    // for the time between the decision and these timestamps.
    t.ok(told >= frees - 300, `Retry-After is not too short: ${told - frees} ms`)
    t.ok(told <= frees + 1000 + 500, `Retry-After is right within a second: ${told - frees} ms`)
  }

  const texts = await metricsOf(replicas)
  t.equal(rateLimitCount(texts, { result: 'admitted', limit: 'writes' }), ok.length)
  t.equal(rateLimitCount(texts, { result: 'rejected', limit: 'writes' }), refused.length)
  t.equal(rateLimitCount(texts, { result: 'upstream_429' }), 0, 'Didit answered no 429')
  t.equal(rateLimitCount(texts, { result: 'store_error' }), 0)
})
