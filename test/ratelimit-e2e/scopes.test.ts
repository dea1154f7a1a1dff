// Issue 8, Tests: two API keys are limited independently, as Didit counts them; the injected key,
// when set, is the one that counts, whatever the clients send.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { assertProblem, PATH, post, upstream, writes } from './harness.js'

const document = (url: string, apiKey = '') => ({
  upstream: { url, apiKey },
  rateLimit: { maxWait: 0, limits: writes(2, '60s') }
})

t.test("each client's API key has its own limit", async (t) => {
  const didit = await upstream(t)
  const sidecar = await startSidecar(t, document(didit.url))
  const send = client(t)
  const as = (key: string, n: number) => send(`${sidecar.url}${PATH}`, post(n, { 'x-api-key': key }))

  t.same([(await as('key-a', 1)).status, (await as('key-a', 2)).status], [200, 200])
  assertProblem(t, await as('key-a', 3), 429, 'rate_limited', 'key-a over its limit')
  t.same([(await as('key-b', 4)).status, (await as('key-b', 5)).status], [200, 200], 'key-b has its own')
  assertProblem(t, await as('key-b', 6), 429, 'rate_limited', 'key-b over its limit')
  t.equal(didit.requests.length, 4)
})

t.test('with an injected key, every client shares its limit', async (t) => {
  const didit = await upstream(t)
  const sidecar = await startSidecar(t, document(didit.url, 'k-injected'))
  const send = client(t)
  const as = (key: string, n: number) => send(`${sidecar.url}${PATH}`, post(n, { 'x-api-key': key }))

  t.same([(await as('key-a', 1)).status, (await as('key-b', 2)).status], [200, 200])
  assertProblem(t, await as('key-c', 3), 429, 'rate_limited', 'the injected key is the one Didit counts')
})
