// The request target is checked, matched, fingerprinted and forwarded as the client sent it;
// `//user@` inside a path or query is data, not userinfo, and only the log copy may be redacted.
import { request as httpRequest } from 'node:http'
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { client } from '../helpers/client.js'
import { rawRequest } from '../helpers/raw-http.js'
import { startSidecar } from '../helpers/sidecar.js'
import { logsWhen } from '../retry-e2e/harness.js'

/** A request whose target goes on the wire exactly as given (clients would normalise it). */
function rawGet(base: string, path: string, headers: Record<string, string> = {}, method = 'GET', body = '') {
  return new Promise<number>((resolve, reject) => {
    const req = httpRequest(base, { method, path, headers }, (res) => {
      res.resume().on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject).end(body)
  })
}

t.test('a query holding //alice@example.com reaches upstream unchanged', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, { upstream: { url: didit.url } })
  const target = '/v3/sessions/?vendor_data=//alice@example.com'
  await rawGet(sidecar.url, target)
  t.equal(didit.requests[0]?.url, target)
})

t.test('/v3/session//x@../admin/ is forwarded byte for byte, never as /v3/session//../admin/', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, { upstream: { url: didit.url } })
  const target = '/v3/session//x@../admin/'
  await rawGet(sidecar.url, target)
  t.same(
    didit.requests.map((r) => r.url),
    [target],
    'the dot-segment check saw what upstream sees: `x@..` is an ordinary segment'
  )
  // The dot-segment a redacting rewrite would have produced is refused when sent as such.
  t.equal(await rawGet(sidecar.url, '/v3/session//../admin/'), 400)
  t.equal(didit.requests.length, 1)
})

t.test('same key, ?ref=//alice@x then ?ref=//bob@x → 422 mismatch, not a replay', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, { upstream: { url: didit.url } })
  const send = client(t)
  const post = (query: string) =>
    send(`${sidecar.url}/v3/session/${query}`, {
      method: 'POST',
      headers: { 'idempotency-key': 'order-1', 'content-type': 'application/json', 'x-api-key': 'tenant-a' },
      body: '{"workflow_id":"w"}'
    })
  const first = await post('?ref=//alice@x')
  t.equal(first.status, 201)
  const second = await post('?ref=//bob@x')
  t.equal(second.status, 422)
  t.equal(JSON.parse(second.body.toString()).code, 'idempotency_mismatch')
  t.notOk(second.headers['idempotent-replayed'], 'not a replay')
  t.same(
    didit.requests.map((r) => r.url),
    ['/v3/session/?ref=//alice@x'],
    'one call upstream, query as sent'
  )
})

t.test('the log copy alone is redacted: userinfo of an absolute-form target never reaches the logs', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, { upstream: { url: didit.url } })
  const answer = await rawRequest(
    sidecar.url,
    'GET http://user:secret-pw@other.host/v3/sessions/ HTTP/1.1\r\nHost: other.host\r\n\r\n'
  )
  t.equal(answer.status, 400)
  const lines = await logsWhen(sidecar, (line) => line.msg === 'request completed')
  t.match(
    lines.find((line) => line.msg === 'request completed'),
    { path: 'http://other.host/v3/sessions/' }
  )
  t.notOk(sidecar.rawLogs().includes('secret-pw'), 'no userinfo in the logs')
  t.equal(didit.requests.length, 0)
})
