// Issue 8, Tests: a request whose deadline (retry.timeout) is shorter than the wait for a slot is
// refused at once, with the Retry-After of the slot, rather than waiting for nothing.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { assertProblem, PATH, post, upstream, writes } from './harness.js'

t.test('a 300 ms deadline and a 2 s wait: 429 at once', async (t) => {
  const didit = await upstream(t)
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    retry: { timeout: '300ms', perTryTimeout: '300ms' },
    rateLimit: { maxWait: '10s', margin: '0ms', limits: writes(1, '2s') }
  })
  const send = client(t)

  t.equal((await send(`${sidecar.url}${PATH}`, post(1))).status, 200)
  const started = Date.now()
  const refused = await send(`${sidecar.url}${PATH}`, post(2))
  const elapsed = Date.now() - started
  assertProblem(t, refused, 429, 'rate_limited')
  t.ok(elapsed < 1000, `refused at once, not after waiting: ${elapsed} ms`)
  t.ok(['1', '2'].includes(String(refused.headers['retry-after'])), `Retry-After ${refused.headers['retry-after']}`)
  t.equal(didit.requests.length, 1)
})
