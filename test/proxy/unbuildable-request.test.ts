// A request the sidecar cannot build (undici refuses a header value with a newline, e.g. an API
// key that slipped past the config checks) never leaves: it is the sidecar's own 500
// internal_error, logged once, and nothing blames Didit (no attempt, no upstream_unreachable).
import { Writable } from 'node:stream'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { resolveConfig } from '../../src/config/load.js'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { client } from '../helpers/client.js'
import { assertProblem, metric, metricsAfter } from '../helpers/e2e.js'
import { sample, type TestSidecar } from '../helpers/sidecar.js'

t.test('an API key with a newline → 500 internal_error, one error line, no attempt', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const config = resolveConfig({ upstream: { url: didit.url }, log: { level: 'debug' } }, { env: {} })
  // Set after loading: this is the runtime guard behind the load-time checks.
  config.upstream.apiKey = 'secret-key-value\n'
  let written = ''
  const logs = new Writable({
    write(chunk, _encoding, done) {
      written += chunk.toString()
      done()
    }
  })
  const app = buildApp(config, { logDestination: logs })
  t.teardown(() => app.close())
  await app.proxy.listen({ host: '127.0.0.1', port: 0 })
  const address = app.proxy.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening')
  const send = client(t)
  const response = await send(`http://127.0.0.1:${address.port}/v3/session/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"workflow_id":"w"}'
  })
  assertProblem(t, response, 500, 'internal_error')
  t.equal(didit.requests.length, 0, 'nothing reached Didit')
  const lines = written
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
  const errors = lines.filter((line) => Number(line.level) >= 50)
  t.equal(errors.length, 1, 'logged once')
  t.equal(errors[0]?.msg, 'internal error')
  // request.log is made lazily (lazyChildLogger); its line still names the request and the server.
  t.equal(errors[0]?.reqId, response.headers['x-request-id'], 'the line carries the request id')
  t.equal(errors[0]?.server, 'proxy')
  t.notOk(written.includes('secret-key-value'), 'the key is never logged')
  const metrics = await metricsAfter({ metrics: () => app.registry.metrics() } as TestSidecar, 1)
  t.equal(sample(metrics, metric('upstream_attempts_total')), 0, 'no attempt counted against Didit')
  t.equal(sample(metrics, metric('requests_total'), { code: '500' }), 1)
})
