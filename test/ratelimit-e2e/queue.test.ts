// Issue 8, Tests: the same shared limit with a maxWait long enough. Every client gets 200, Didit's
// arrivals respect the limit in every interval, and waiters are served in the order they came.

import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { client } from '../helpers/client.js'
import { sample } from '../helpers/sidecar.js'
import {
  FAST_BACKOFF,
  maxInWindow,
  metric,
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

const LIMIT = 5
const WINDOW = 1000
const COUNT = 15
// Requests leave 100 ms apart, so that their order of arrival at the sidecars is known.
const STAGGER = 100

t.test('15 POSTs through two replicas, 5 per second: all 200, in order, never more than 5 a second', async (t) => {
  const redis = await useRedis(t)
  if (redis === null) return
  const didit = await upstream(t)
  const document = {
    upstream: { url: didit.url },
    rateLimit: { store: redisStore(redis), maxWait: '10s', margin: '500ms', limits: writes(LIMIT, '1s') },
    retry: { backoff: FAST_BACKOFF }
  }
  const replicas = await startReplicas(t, didit, document)
  const send = client(t)

  const pending = []
  for (let i = 0; i < COUNT; i++) {
    pending.push(send(`${replicas[i % 2]?.url}${PATH}`, post(i)))
    await sleep(STAGGER)
  }
  const answers = await Promise.all(pending)

  t.same(
    answers.map((answer) => answer.status),
    Array(COUNT).fill(200),
    'every client got 200'
  )
  const arrivals = didit.requests.map((request) => request.receivedAt)
  t.equal(arrivals.length, COUNT, 'each reached Didit once')
  t.ok(maxInWindow(arrivals, WINDOW) <= LIMIT, `at most ${LIMIT} in any second: ${maxInWindow(arrivals, WINDOW)}`)
  // Slots go in batches of 5 (a window apart). First come, first served: every request of one batch
  // reaches Didit before any of the next; a limiter that let waiters race would mix them.
  const batches = [...didit.requests]
    .sort((a, b) => a.receivedAt - b.receivedAt)
    .map((request) => Math.floor(JSON.parse(request.body.toString()).n / LIMIT))
  t.same(
    batches,
    [...batches].sort((a, b) => a - b),
    `waiters served in order: batches ${batches.join('')}`
  )

  const texts = await metricsOf(replicas)
  t.equal(rateLimitCount(texts, { result: 'admitted' }), LIMIT, 'the first 5 went at once')
  t.equal(rateLimitCount(texts, { result: 'delayed', limit: 'writes' }), COUNT - LIMIT, 'the others waited')
  t.equal(rateLimitCount(texts, { result: 'rejected' }), 0)
  const waits = texts.reduce((sum, text) => sum + sample(text, metric('rate_limit_wait_seconds_count')), 0)
  t.equal(waits, COUNT - LIMIT, 'each wait observed in the histogram')
  const waited = replicas
    .flatMap((replica) => replica.logs())
    .filter((line) => line.msg === 'request completed' && line.route === 'default')
  t.ok(
    waited.length === COUNT && waited.every((line) => typeof line.rateLimitWaitMs === 'number'),
    "each request's log line carries its wait"
  )
  t.ok(waited.filter((line) => (line.rateLimitWaitMs as number) > 500).length >= COUNT - 2 * LIMIT, 'long waits logged')
})
