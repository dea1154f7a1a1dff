// idempotency.releaseOn (issue 7, item 6): declared globally and per route, resolved onto each route.
import t from 'tap'
import { ConfigError, loadConfigFile, resolveConfig } from '../../src/config/load.js'

function problemsOf(document: unknown): string[] {
  try {
    resolveConfig(document, { env: {} })
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  throw new Error('expected a ConfigError')
}

t.test('the shipped config: database-validation releases on 502, the others keep the default', async (t) => {
  const config = await loadConfigFile('config.yaml', { env: {} })
  t.same(config.idempotency.releaseOn, [429, 503])
  const releaseOf = (name: string) => config.routes.find((route) => route.name === name)?.idempotency.releaseOn
  t.same(releaseOf('database-validation'), [429, 502, 503])
  t.same(releaseOf('id-verification'), [429, 503])
})

t.test('a route list replaces the global one; the global default is 429 and 503', async (t) => {
  const routes = [
    { name: 'a', method: 'POST', path: '/a/', idempotency: { releaseOn: [502] } },
    { name: 'b', method: 'POST', path: '/b/' },
    { name: 'c', method: 'POST', path: '/c/', idempotency: {} }
  ]
  const byDefault = resolveConfig({ routes }, { env: {} })
  t.same(byDefault.idempotency.releaseOn, [429, 503])
  t.same(
    byDefault.routes.map((route) => route.idempotency.releaseOn),
    [[502], [429, 503], [429, 503]]
  )
  const global = resolveConfig({ idempotency: { releaseOn: [] }, routes }, { env: {} })
  t.same(
    global.routes.map((route) => route.idempotency.releaseOn),
    [[502], [], []]
  )
})

t.test('only failure statuses, each once, and no other route keys', async (t) => {
  t.match(problemsOf({ idempotency: { releaseOn: [200] } }), [/^idempotency\.releaseOn\[0\]: must be >= 400/])
  t.match(problemsOf({ idempotency: { releaseOn: [600] } }), [/^idempotency\.releaseOn\[0\]: must be <= 599/])
  t.match(problemsOf({ idempotency: { releaseOn: [502, 502] } }), [/^idempotency\.releaseOn: /])
  const route = { name: 'a', method: 'POST', path: '/a/' }
  t.match(problemsOf({ routes: [{ ...route, idempotency: { releaseOn: ['502x'] } }] }), [
    /^routes\[0\]\.idempotency\.releaseOn\[0\]: /
  ])
  t.match(problemsOf({ routes: [{ ...route, idempotency: { ttl: '1h' } }] }), [
    /^routes\[0\]\.idempotency\.ttl: unknown key/
  ])
})
