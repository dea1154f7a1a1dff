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

t.test('matching in place agrees with matching split segments', async (t) => {
  // The rule as first written: split the path, compare segment by segment.
  const reference = (method: string, path: string) => {
    const segments = path.split('/')
    const found = config.routes.find((route) => {
      const pattern = route.path.split('/')
      return (
        (route.methods as readonly string[]).includes(method) &&
        pattern.length === segments.length &&
        pattern.every((part, i) => (part.startsWith(':') ? (segments[i] as string).length > 0 : part === segments[i]))
      )
    })
    return found?.name ?? 'default'
  }
  const pieces = ['', 'v3', 'session', 'sessions', 'abc', 'decision', 'send', 'email', ':id', 'update-status', 'x/y']
  let seed = 7
  const pick = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return pieces[seed % pieces.length] as string
  }
  let agreed = 0
  let routed = 0
  for (let n = 0; n < 5000; n++) {
    const length = 1 + (n % 5)
    const head = n % 4 === 0 ? '' : '/v3'
    const path = `${head}/${Array.from({ length }, pick).join('/')}${n % 3 === 0 ? '' : '/'}`
    for (const method of ['GET', 'HEAD', 'POST', 'PATCH']) {
      if (reference(method, path) !== 'default') routed++
      if (match(method, path).name === reference(method, path)) agreed++
      else t.fail(`${method} ${path}: ${match(method, path).name} vs ${reference(method, path)}`)
    }
  }
  t.equal(agreed, 20000, 'every generated path matched the same route')
  t.ok(routed > 100, `the generator reaches real routes (${routed} routed)`)
})
