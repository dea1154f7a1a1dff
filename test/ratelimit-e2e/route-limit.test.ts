// Issue 8, Tests: a route's own limit applies on top of the shared one. The refusal names the limit
// that refused, and a refused request takes no slot of the other limits.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startUpstream } from '../helpers/e2e.js'
import { startSidecar } from '../helpers/sidecar.js'
import { assertProblem, rateLimitCount } from './harness.js'

const PDF = '/v3/session/s-1/generate-pdf/'
const LIST = '/v3/sessions/'

t.test("the PDF route's own limit, then the shared reads limit", async (t) => {
  const didit = await startUpstream(t)
  for (const path of [PDF, LIST]) didit.script({ path }, { status: 200, body: { ok: true } }, { repeat: true })
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    rateLimit: { maxWait: 0, limits: [{ name: 'reads', methods: ['GET'], limit: 4, window: '60s' }] },
    routes: [
      {
        name: 'session-pdf',
        method: 'GET',
        path: '/v3/session/:id/generate-pdf/',
        rateLimit: { limit: 2, window: '60s' }
      }
    ]
  })
  const send = client(t)
  const get = (path: string) => send(`${sidecar.url}${path}`)

  t.same([(await get(PDF)).status, (await get(PDF)).status], [200, 200])
  const pdf = await get(PDF)
  assertProblem(t, pdf, 429, 'rate_limited', 'third PDF')
  t.equal(JSON.parse(pdf.body.toString()).limit, 'route:session-pdf', "refused by the route's own limit")

  t.same([(await get(LIST)).status, (await get(LIST)).status], [200, 200], 'reads: 2 of 4 left (the refusal took none)')
  const list = await get(LIST)
  assertProblem(t, list, 429, 'rate_limited', 'fifth read')
  t.equal(JSON.parse(list.body.toString()).limit, 'reads', 'refused by the shared limit')
  t.equal(didit.requests.length, 4)

  const text = await sidecar.metrics()
  t.equal(rateLimitCount([text], { route: 'session-pdf', limit: 'route:session-pdf', result: 'admitted' }), 2)
  t.equal(rateLimitCount([text], { route: 'session-pdf', limit: 'route:session-pdf', result: 'rejected' }), 1)
  t.equal(rateLimitCount([text], { route: 'default', limit: 'reads', result: 'admitted' }), 2)
  t.equal(rateLimitCount([text], { route: 'default', limit: 'reads', result: 'rejected' }), 1)
})
