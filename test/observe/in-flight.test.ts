// didit_sidecar_in_flight_requests counts a request from arrival to its response, retry waits
// included, and returns to zero however the request ends (answered, refused by the sidecar).
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { client } from '../helpers/client.js'
import { metric, metricsAfter, startUpstream } from '../helpers/e2e.js'
import { sample, startSidecar } from '../helpers/sidecar.js'

const IN_FLIGHT = metric('in_flight_requests')

t.test('a slow request is in flight until answered, then the gauge is back to zero', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/aml/' }, [{ status: 200, body: { ok: true }, delayMs: 300 }])
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    routes: [{ name: 'aml', method: 'POST', path: '/v3/aml/' }]
  })
  const send = client(t)
  const pending = send(`${sidecar.url}/v3/aml/`, { method: 'POST', body: '{}' })

  let during = 0
  const until = Date.now() + 3000
  while (during === 0 && Date.now() < until) {
    during = sample(await sidecar.metrics(), IN_FLIGHT, { route: 'aml' })
    if (during === 0) await sleep(5)
  }
  t.equal(during, 1, 'one request in flight on its route while Didit is slow')
  t.equal((await pending).status, 200)
  t.equal(sample(await metricsAfter(sidecar, 1), IN_FLIGHT), 0, 'zero once answered')

  // A request the sidecar refuses before Didit (an idempotency key too long) is also counted out.
  const headers = { 'idempotency-key': 'k'.repeat(300) }
  const refused = await send(`${sidecar.url}/v3/aml/`, { method: 'POST', headers, body: '{}' })
  t.equal(refused.status, 400, 'refused by the sidecar')
  t.equal(sample(await metricsAfter(sidecar, 2), IN_FLIGHT), 0, 'zero after a refusal')
})
