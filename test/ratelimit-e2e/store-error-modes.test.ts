// `onStoreError` with no Redis at all: pass forwards without limiting, reject answers 503
// rate_limit_unavailable and sends nothing; both count store_error. (`local`: redis-outage.test.ts.)
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { refusingUrl } from '../retry-e2e/harness.js'
import { assertProblem, PATH, post, rateLimitCount, upstream, writes } from './harness.js'

for (const mode of ['pass', 'reject'] as const) {
  t.test(`onStoreError: ${mode}`, async (t) => {
    const didit = await upstream(t)
    const nowhere = (await refusingUrl()).replace('http:', 'redis:')
    const sidecar = await startSidecar(t, {
      upstream: { url: didit.url },
      rateLimit: {
        store: { type: 'redis', url: nowhere, timeout: '200ms', onStoreError: mode },
        maxWait: 0,
        limits: writes(1, '60s')
      }
    })
    const send = client(t)

    const answers = [await send(`${sidecar.url}${PATH}`, post(1)), await send(`${sidecar.url}${PATH}`, post(2))]
    if (mode === 'pass') {
      t.same(
        answers.map((answer) => answer.status),
        [200, 200],
        'forwarded, not limited'
      )
      t.equal(didit.requests.length, 2)
    } else {
      for (const answer of answers) assertProblem(t, answer, 503, 'rate_limit_unavailable')
      t.equal(didit.requests.length, 0, 'nothing sent')
    }
    t.equal(rateLimitCount([await sidecar.metrics()], { result: 'store_error', limit: 'writes' }), 2)
  })
}
