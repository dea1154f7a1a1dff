// A client's Idempotency-Key is kept as is on every attempt and echoed back; a key longer than 255
// characters or with anything but visible ASCII is refused with 400 before anything goes upstream.
import { request as httpRequest } from 'node:http'
import t from 'tap'
import { client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, metric, metricsAfter, problemOf, startUpstream } from './harness.js'

t.test("the client's key is kept on every attempt, echoed and counted as source=client", async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: '/v3/aml/' }, [{ status: 503 }, { status: 200, body: { ok: true } }])
  const sidecar = await startSidecar(t, { upstream: { url: didit.url }, retry: { backoff: FAST_BACKOFF } })
  const send = client(t)
  // Visible ASCII at both ends of the range, and exactly the longest length allowed.
  const key = `!~${'k'.repeat(251)}-1`
  t.equal(key.length, 255)

  const response = await send(`${sidecar.url}/v3/aml/`, {
    method: 'POST',
    headers: { 'idempotency-key': key, 'content-type': 'application/json' },
    body: '{"full_name":"A"}'
  })

  t.equal(response.status, 200)
  t.equal(response.headers['x-sidecar-attempts'], '2')
  t.equal(response.headers['idempotency-key'], key, 'echoed unchanged')
  t.same(
    didit.requests.map((r) => r.headers['idempotency-key']),
    [key, key],
    'the same client key on both attempts'
  )
  const metrics = await metricsAfter(sidecar, 1)
  t.equal(sample(metrics, metric('idempotency_keys_total'), { route: 'default', source: 'client' }), 1)
  t.equal(sample(metrics, metric('idempotency_keys_total'), { source: 'generated' }), 0)
})

/** Sends a raw POST, since clients refuse or rewrite some of these header values. */
function rawPost(url: string, key: string): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/v3/aml/`, {
      method: 'POST',
      headers: { 'idempotency-key': key, 'content-type': 'application/json', 'content-length': '2' }
    })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type']),
          body: Buffer.concat(chunks).toString()
        })
      )
    })
    req.on('error', reject)
    req.end('{}')
  })
}

t.test('invalid keys → 400 invalid_idempotency_key, nothing sent upstream', async (t) => {
  const didit = await startUpstream(t)
  const sidecar = await startSidecar(t, { upstream: { url: didit.url }, retry: { backoff: FAST_BACKOFF } })
  const invalid: Record<string, string> = {
    '256 characters': 'k'.repeat(256),
    'a space': 'has space',
    'non-ASCII (latin-1 é)': 'clé-1',
    'a control character (tab)': 'a\tb'
  }
  for (const [what, key] of Object.entries(invalid)) {
    const response = await rawPost(sidecar.url, key)
    t.equal(response.status, 400, `${what}: 400`)
    t.match(response.contentType, /^application\/problem\+json/, `${what}: problem+json`)
    t.equal(
      (JSON.parse(response.body) as { code?: string }).code,
      'invalid_idempotency_key',
      `${what}: invalid_idempotency_key`
    )
  }
  // undici's client too (the header as most services would send it).
  const send = client(t)
  const viaUndici = await send(`${sidecar.url}/v3/aml/`, {
    method: 'POST',
    headers: { 'idempotency-key': 'x'.repeat(300) },
    body: '{}'
  })
  t.equal(viaUndici.status, 400)
  t.equal(problemOf(viaUndici).code, 'invalid_idempotency_key')
  t.equal(viaUndici.headers['x-sidecar-attempts'], '0', 'X-Sidecar-Attempts on a refusal too')
  t.equal(didit.requests.length, 0, 'upstream saw nothing')
  const metrics = await metricsAfter(sidecar, 5)
  t.equal(sample(metrics, metric('upstream_attempts_total')), 0)
  t.equal(sample(metrics, metric('idempotency_keys_total')), 0, 'no key counted')
})
