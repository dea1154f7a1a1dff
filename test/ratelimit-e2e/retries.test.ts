// Every attempt takes a slot, retries included. A retry that gets no slot within the wait allowed
// ends as 429 rate_limited (the answer that caused the retry was already discarded).
import t from 'tap'
import { client } from '../helpers/client.js'
import { startUpstream } from '../helpers/e2e.js'
import { startSidecar } from '../helpers/sidecar.js'
import { assertProblem, FAST_BACKOFF, PATH, post, rateLimitCount, writes } from './harness.js'

const document = (url: string, limit: number) => ({
  upstream: { url },
  retry: { backoff: FAST_BACKOFF },
  rateLimit: { maxWait: 0, limits: writes(limit, '60s') }
})

t.test('a 503 then 200 uses two slots', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ method: 'POST', path: PATH }, [{ status: 503 }, { status: 200, body: { request_id: 'r' } }], {
    repeat: true
  })
  const sidecar = await startSidecar(t, document(didit.url, 2))
  const send = client(t)

  const first = await send(`${sidecar.url}${PATH}`, post(1))
  t.equal(first.status, 200)
  t.equal(first.headers['x-sidecar-attempts'], '2')
  assertProblem(t, await send(`${sidecar.url}${PATH}`, post(2)), 429, 'rate_limited', 'no slot left')
  t.equal(rateLimitCount([await sidecar.metrics()], { result: 'admitted' }), 2, 'one slot per attempt')
})

t.test('a retry without a slot ends as 429 rate_limited', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ method: 'POST', path: PATH }, { status: 503 }, { repeat: true })
  const sidecar = await startSidecar(t, document(didit.url, 1))
  const send = client(t)

  const answer = await send(`${sidecar.url}${PATH}`, post(1))
  assertProblem(t, answer, 429, 'rate_limited')
  t.equal(answer.headers['x-sidecar-attempts'], '1', 'the one attempt that was sent')
  t.equal(didit.requests.length, 1, 'the retry was not sent')
})
