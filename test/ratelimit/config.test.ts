// The `rateLimit` config: defaults are Didit's published limits, the shipped file carries the
// stricter per-endpoint ones on routes matched before the generic session update, and names are unique.
import t from 'tap'
import { ConfigError, loadConfigFile, resolveConfig } from '../../src/config/load.js'
import { printConfig } from '../../src/config/print.js'
import { compileRoutes } from '../../src/proxy/routes.js'

t.test("defaults: on, memory, Didit's generic limits", async (t) => {
  const { rateLimit } = resolveConfig({}, { env: {} })
  t.equal(rateLimit.enabled, true)
  t.same(rateLimit.store, {
    type: 'memory',
    url: 'redis://127.0.0.1:6379',
    keyPrefix: 'didit-sidecar:rl:',
    timeout: 200,
    onStoreError: 'local'
  })
  t.equal(rateLimit.maxWait, 2000)
  t.equal(rateLimit.margin, 1000)
  t.same(rateLimit.limits, [
    { name: 'writes', methods: ['POST', 'PATCH', 'DELETE'], limit: 300, window: 60_000 },
    { name: 'reads', methods: ['GET'], limit: 600, window: 60_000 }
  ])
})

t.test('the shipped config: per-endpoint limits on routes matched before session-update', async (t) => {
  const config = await loadConfigFile('config.yaml', { env: {} })
  t.equal(config.rateLimit.enabled, true)
  t.same(
    config.rateLimit.limits.map(({ name, limit, window }) => [name, limit, window]),
    [
      ['writes', 300, 60_000],
      ['reads', 600, 60_000]
    ]
  )
  const match = compileRoutes(config.routes, config.retry)
  const limitOf = (method: string, path: string) => {
    const route = match(method, path)
    return [route.name, route.rateLimit?.limit, route.rateLimit?.window]
  }
  t.same(limitOf('GET', '/v3/session/s/generate-pdf/'), ['session-pdf', 50, 60_000])
  for (const action of ['add-images', 'update-data', 'update-poa-data']) {
    t.same(limitOf('PATCH', `/v3/session/s/${action}/`), [`session-${action}`, 10, 60_000], `PATCH ${action}`)
    t.same(limitOf('POST', `/v3/session/s/${action}/`), [`session-${action}`, 10, 60_000], `POST ${action}`)
  }
  t.same(limitOf('PATCH', '/v3/session/s/update-status/'), ['session-update', undefined, undefined])
})

t.test('a route limit needs a count; limit names are unique; the store URL is masked in --check', async (t) => {
  const problems = (document: unknown) => {
    try {
      resolveConfig(document, { env: {} })
    } catch (error) {
      if (error instanceof ConfigError) return error.problems
      throw error
    }
    return []
  }
  t.same(problems({ routes: [{ name: 'a', method: 'GET', path: '/a/', rateLimit: { window: '1s' } }] }), [
    'routes[0].rateLimit.limit: is required'
  ])
  const duplicate = { name: 'w', methods: ['POST'], limit: 1 }
  t.same(problems({ rateLimit: { limits: [duplicate, duplicate] } }), [
    'rateLimit.limits[1].name: duplicate limit name "w"'
  ])
  t.same(problems({ rateLimit: { store: { onStoreError: 'retry' } } }), [
    'rateLimit.store.onStoreError: must be one of local, pass, reject'
  ])
  const printed = printConfig(
    resolveConfig(
      {
        rateLimit: { store: { url: 'redis://user:secret@redis:6379' } },
        routes: [{ name: 'a', method: 'GET', path: '/a/', rateLimit: { limit: 5, window: '90s' } }]
      },
      { env: {} }
    )
  )
  t.notMatch(printed, /secret/)
  t.match(printed, /window: 1m30s|window: 90s/, 'route windows printed with units')
})
