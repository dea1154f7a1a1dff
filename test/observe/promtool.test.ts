// Our metric families pass Prometheus's own linter (promtool check metrics): names, units,
// _total on counters, help texts. Only didit_sidecar_* is checked: prom-client's default
// nodejs_active_*_total gauges are flagged by promtool and are not ours to rename.
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'

t.test('promtool check metrics', async (t) => {
  const probe = spawnSync('promtool', ['--version'], { stdio: 'ignore' })
  if (probe.error !== undefined) {
    if (process.env.CI === 'true') throw new Error(`promtool is missing: ${probe.error.message}`)
    t.comment('promtool not installed (Debian package prometheus); skipping the metrics lint')
    return
  }
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  didit.script({ path: '/v3/aml/' }, [{ status: 503 }, { status: 200, body: { ok: true } }])
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    retry: { backoff: { base: '1ms' } },
    routes: [{ name: 'aml', method: 'POST', path: '/v3/aml/' }]
  })
  const send = client(t)
  const headers = { 'content-type': 'application/json', 'idempotency-key': 'k1', 'x-api-key': 'k' }
  const post = { method: 'POST', headers, body: '{}' }
  t.equal((await send(`${sidecar.url}/v3/aml/`, post)).status, 200)
  t.equal((await send(`${sidecar.url}/v3/aml/`, post)).headers['idempotent-replayed'], 'true')

  const metrics = (await send(`${sidecar.adminUrl}/metrics`)).body.toString()
  const ours = metrics
    .split('\n')
    .filter((line) => /^(# (HELP|TYPE) )?didit_sidecar_/.test(line))
    .join('\n')
  for (const family of ['requests_total', 'upstream_attempts_total', 'retries_total', 'idempotency_total']) {
    t.match(ours, new RegExp(`^didit_sidecar_${family}\\{`, 'm'), `${family} has samples`)
  }
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: `${ours}\n`, encoding: 'utf8' })
  t.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`)
  t.equal(`${lint.stdout}${lint.stderr}`.trim(), '', 'no lint findings')
})
