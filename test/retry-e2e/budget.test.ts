// Retry budgets (Finagle, Linkerd): with Didit 100 % down, N requests cause at most about
// N·(1 + ratio) + minPerSecond·window attempts instead of N·maxAttempts, and each route has its
// own budget, so a failing route never takes the retries of another.
import t from 'tap'
import { client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, metric, metricsAfter, startUpstream } from './harness.js'

const RATIO = 0.2
const MIN_PER_SECOND = 1
const WINDOW_S = 10
const N = 50

const policy = {
  maxAttempts: 5,
  backoff: FAST_BACKOFF,
  budget: { ratio: RATIO, minPerSecond: MIN_PER_SECOND, window: `${WINDOW_S}s` }
}

const config = (url: string) => ({
  upstream: { url },
  routes: [
    { name: 'route-a', method: 'GET', path: '/a/', retry: policy },
    { name: 'route-b', method: 'GET', path: '/b/', retry: policy }
  ]
})

t.test(`upstream 100 % 503: ${N} requests → at most N·(1+ratio) + minPerSecond·window attempts`, async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/a/' }, { status: 503 }, { repeat: true })
  const sidecar = await startSidecar(t, config(didit.url))
  const send = client(t)
  const statuses = new Set<number>()
  // Small batches: some concurrency, as real traffic has, without piling up on a loaded machine.
  for (let sent = 0; sent < N; sent += 5) {
    const batch = await Promise.all(Array.from({ length: 5 }, () => send(`${sidecar.url}/a/`)))
    for (const response of batch) statuses.add(response.status)
  }
  t.same([...statuses], [503], 'every client got the 503')
  const attempts = didit.count({ path: '/a/' })
  const bound = N * (1 + RATIO) + MIN_PER_SECOND * WINDOW_S
  t.ok(attempts >= N, `at least one attempt per request (${attempts})`)
  t.ok(attempts <= bound, `${attempts} attempts <= ${bound} (maxAttempts alone would allow ${N * 5})`)
  const metrics = await metricsAfter(sidecar, N)
  t.ok(sample(metrics, metric('retry_budget_exhausted_total'), { route: 'route-a' }) > 0, 'budget refusals counted')
  t.equal(sample(metrics, metric('upstream_attempts_total'), { route: 'route-a' }), attempts)
  t.equal(
    sample(metrics, metric('retries_total'), { route: 'route-a' }),
    attempts - N,
    'every attempt beyond the first is a counted retry'
  )
  t.ok(sample(metrics, metric('requests_total'), { route: 'route-a', outcome: 'budget' }) > 0, 'outcome budget')
})

t.test("a failing route does not eat another route's budget", async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/a/' }, { status: 503 }, { repeat: true })
  const sidecar = await startSidecar(t, config(didit.url))
  const send = client(t)
  for (let i = 0; i < N; i++) await send(`${sidecar.url}/a/`)
  const exhausted = await metricsAfter(sidecar, N)
  t.ok(sample(exhausted, metric('retry_budget_exhausted_total'), { route: 'route-a' }) > 0, "A's budget is spent")

  const B = 10
  for (let i = 0; i < B; i++) {
    didit.script({ path: '/b/' }, [{ status: 503 }, { status: 200, body: `b-${i}` }])
    const response = await send(`${sidecar.url}/b/`)
    t.equal(response.status, 200, `B request ${i} retried and succeeded`)
    t.equal(response.body.toString(), `b-${i}`)
    t.equal(response.headers['x-sidecar-attempts'], '2')
  }
  t.equal(didit.count({ path: '/b/' }), 2 * B)
  const metrics = await metricsAfter(sidecar, N + B)
  t.equal(sample(metrics, metric('retry_budget_exhausted_total'), { route: 'route-b' }), 0, "B's budget untouched")
  t.equal(sample(metrics, metric('retries_total'), { route: 'route-b', reason: '503' }), B)
  t.equal(sample(metrics, metric('requests_total'), { route: 'route-b', code: '200', outcome: 'completed' }), B)
})
