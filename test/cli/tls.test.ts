// Upstream TLS certificates are always verified: a self-signed upstream is refused (502, nothing
// sent) until its CA is trusted through NODE_EXTRA_CA_CERTS, which Node reads at startup.
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { runCli, writeConfig } from '../helpers/cli.js'
import { client } from '../helpers/client.js'
import { selfSignedCertificate } from '../helpers/tls.js'

t.test('self-signed upstream: refused, then accepted with its CA', async (t) => {
  const made = await selfSignedCertificate()
  if ('missing' in made) {
    t.comment(`${made.missing}; skipping the TLS test`)
    return
  }
  const didit = await startFakeDidit({ tls: { key: made.key, cert: made.cert } })
  t.teardown(() => didit.close())
  const path = await writeConfig({ upstream: { url: didit.url, apiKey: 'tls-test-key' } })
  const send = client(t)

  const untrusting = runCli(t, ['--config', path])
  const refused = await send(`${(await untrusting.ready).proxy}/v3/session/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"workflow_id":"w"}'
  })
  t.equal(refused.status, 502)
  t.equal(JSON.parse(refused.body.toString()).code, 'upstream_tls_error')
  t.equal(refused.headers['x-sidecar-attempts'], '1', 'a certificate error is not retried')
  t.equal(didit.requests.length, 0, 'nothing was sent')
  untrusting.child.kill('SIGTERM')
  await untrusting.exited

  const trusting = runCli(t, ['--config', path], { NODE_EXTRA_CA_CERTS: made.certPath })
  const accepted = await send(`${(await trusting.ready).proxy}/v3/session/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"workflow_id":"w"}'
  })
  t.equal(accepted.status, 201)
  t.equal(didit.requests.length, 1)
  t.equal(didit.requests[0]?.headers['x-api-key'], 'tls-test-key')
})
