import t from 'tap'
import { parse } from 'yaml'
import { resolveConfig } from '../../src/config/load.js'
import { printConfig } from '../../src/config/print.js'

t.test('units come back, secrets are masked', async (t) => {
  const printed = printConfig(
    resolveConfig(
      {
        upstream: { apiKey: 'k-secret' },
        idempotency: { store: { url: 'rediss://default:p%40ss@redis:6380/0' } },
        routes: [{ name: 'a', method: 'GET', path: '/a/', retry: { perTryTimeout: '1500ms' } }]
      },
      { env: {} }
    )
  )
  t.notMatch(printed, /k-secret|p%40ss/)
  const shown = parse(printed)
  t.equal(shown.upstream.apiKey, '<redacted>')
  t.equal(shown.idempotency.store.url, 'rediss://<redacted>@redis:6380/0')
  t.equal(shown.retry.timeout, '1m')
  t.equal(shown.listen.bodyLimit, '32MiB')
  t.equal(shown.routes[0].policy.perTryTimeout, '1500ms', 'route policies too')
  t.same(shown.routes[0].methods, ['GET'])
})

t.test('an empty key and a URL without credentials are shown as they are', async (t) => {
  const shown = parse(printConfig(resolveConfig({}, { env: {} })))
  t.equal(shown.upstream.apiKey, '')
  t.equal(shown.idempotency.store.url, 'redis://127.0.0.1:6379')
})
