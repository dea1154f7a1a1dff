import t from 'tap'
import { resolveConfig } from '../../src/config/load.js'
import { compileRoutes } from '../../src/proxy/routes.js'

const config = resolveConfig(
  {
    routes: [
      { name: 'create', method: 'POST', path: '/v3/session/' },
      { name: 'decision', method: ['GET', 'HEAD'], path: '/v3/session/:id/decision/', retry: { maxAttempts: 2 } },
      { name: 'update', method: 'PATCH', path: '/v3/session/:id/:action/' },
      { name: 'any-send', method: 'POST', path: '/v3/:channel/send/' }
    ]
  },
  { env: {} }
)
const match = compileRoutes(config.routes, config.retry)

t.test('exact paths and methods', async (t) => {
  t.equal(match('POST', '/v3/session/').name, 'create')
  t.equal(match('GET', '/v3/session/').name, 'default', 'method must match')
  t.equal(match('POST', '/v3/session').name, 'default', 'trailing slash matters')
  t.equal(match('POST', '/v3/session//').name, 'default')
})

t.test('parameters match one non-empty segment', async (t) => {
  t.equal(match('GET', '/v3/session/abc-123/decision/').name, 'decision')
  t.equal(match('HEAD', '/v3/session/abc/decision/').name, 'decision')
  t.equal(match('GET', '/v3/session//decision/').name, 'default', 'empty segment')
  t.equal(match('GET', '/v3/session/a/b/decision/').name, 'default', 'two segments')
  t.equal(match('PATCH', '/v3/session/abc/update-status/').name, 'update')
  t.equal(match('POST', '/v3/email/send/').name, 'any-send')
})

t.test('first match wins; the policy comes resolved', async (t) => {
  const again = compileRoutes(
    [
      ...config.routes,
      {
        name: 'shadowed',
        methods: ['POST'],
        path: '/v3/session/',
        policy: config.retry,
        idempotency: { releaseOn: [] }
      }
    ],
    config.retry
  )
  t.equal(again('POST', '/v3/session/').name, 'create')
  t.equal(match('GET', '/v3/session/x/decision/').policy.maxAttempts, 2)
  t.equal(match('GET', '/nowhere').policy, config.retry, 'default policy for unmatched requests')
})
