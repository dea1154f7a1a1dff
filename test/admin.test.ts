// The admin server: Prometheus metrics, liveness, and readiness that never depends on Didit.
import t from 'tap'
import { client } from './helpers/client.js'
import { startSidecar } from './helpers/sidecar.js'

t.test('metrics, healthz and readyz', async (t) => {
  // Upstream unreachable: readiness must not care.
  const sidecar = await startSidecar(t, {
    upstream: { url: 'http://127.0.0.1:1' },
    retry: { maxAttempts: 1 },
    routes: [{ name: 'session-decision', method: 'GET', path: '/v3/session/:id/decision/' }]
  })
  const send = client(t)
  t.equal((await send(`${sidecar.adminUrl}/healthz`)).status, 200)
  const ready = await send(`${sidecar.adminUrl}/readyz`)
  t.equal(ready.status, 200, 'ready although Didit is unreachable')

  t.equal((await send(`${sidecar.url}/v3/session/3f1c/decision/`)).status, 502)
  t.equal((await send(`${sidecar.url}/v3/session/9a2b/decision/`)).status, 502)
  t.equal((await send(`${sidecar.url}/elsewhere/`)).status, 502)

  const metrics = await send(`${sidecar.adminUrl}/metrics`)
  t.equal(metrics.status, 200)
  t.match(metrics.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const text = metrics.body.toString()
  t.match(
    text,
    /^didit_sidecar_requests_total\{route="session-decision",method="GET",code="502",outcome="exhausted"\} 2$/m
  )
  t.match(text, /^didit_sidecar_requests_total\{route="default",method="GET",code="502",outcome="exhausted"\} 1$/m)
  t.match(
    text,
    /^didit_sidecar_request_duration_seconds_count\{route="session-decision",method="GET",outcome="exhausted"\} 2$/m
  )
  t.match(text, /^didit_sidecar_retry_budget_exhausted_total\{route="session-decision"\} 0$/m, 'zero series per route')
  t.match(text, /^process_cpu_seconds_total /m, 'default process metrics')
  t.match(text, /^didit_sidecar_build_info\{version="\d+\.\d+\.\d+"\} 1$/m)
  t.notMatch(text, /3f1c|9a2b/, 'no raw path in any label')

  sidecar.app.lifecycle.state = 'draining'
  t.equal((await send(`${sidecar.adminUrl}/readyz`)).status, 503, 'not ready while draining')
  t.equal((await send(`${sidecar.adminUrl}/healthz`)).status, 200, 'still alive')
})

t.test('the proxy port reserves no path: /metrics and /healthz there are forwarded', async (t) => {
  const sidecar = await startSidecar(t, { upstream: { url: 'http://127.0.0.1:1' }, retry: { maxAttempts: 1 } })
  const send = client(t)
  for (const path of ['/metrics', '/healthz', '/readyz']) {
    const response = await send(`${sidecar.url}${path}`)
    t.equal(response.status, 502, `${path} went upstream`)
  }
})
