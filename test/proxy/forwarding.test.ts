// Transparent forwarding: every method, path, query, header and body byte reaches the upstream,
// and the answer comes back unchanged.
import { createHash, randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

t.test('a multi-megabyte multipart upload arrives byte for byte', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, { upstream: { url: didit.url } })
  const send = client(t)
  const boundary = '----didit-test-boundary'
  const image = randomBytes(6 * 1024 * 1024)
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="front_image"; filename="id.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`
    ),
    image,
    Buffer.from(`\r\n--${boundary}--\r\n`)
  ])
  const response = await send(`${sidecar.url}/v3/id-verification/`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    body
  })
  t.equal(response.status, 200)
  t.equal(didit.requests.length, 1)
  const received = didit.requests[0]
  t.equal(received?.sha256, sha256(body), 'identical body')
  t.equal(received?.headers['content-type'], `multipart/form-data; boundary=${boundary}`)
  t.equal(received?.headers['content-length'], String(body.length))
})

t.test('a large chunked response streams back unchanged', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, { upstream: { url: didit.url } })
  const send = client(t)
  const created = await send(`${sidecar.url}/v3/session/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workflow_id: 'w' })
  })
  const { session_id: id } = JSON.parse(created.body.toString()) as { session_id: string }
  const size = 8 * 1024 * 1024 + 17
  const direct = await send(`${didit.url}/v3/session/${id}/generate-pdf/?size=${size}`)
  const proxied = await send(`${sidecar.url}/v3/session/${id}/generate-pdf/?size=${size}`)
  t.equal(proxied.status, 200)
  t.equal(proxied.body.length, size)
  t.equal(sha256(proxied.body), sha256(direct.body), 'same bytes as a direct call')
  t.equal(proxied.headers['content-type'], 'application/pdf')
  t.equal(proxied.headers['transfer-encoding'], 'chunked', 'still chunked: nothing buffered the body')
})

t.test('query strings, repeated headers and methods pass through; Host is the upstream', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, { upstream: { url: didit.url } })
  const send = client(t)
  const query = '?page=2&tag=a&tag=b&q=a+b%20c&empty=&flag'
  // undici sends an array as two header lines
  await send(`${sidecar.url}/v3/sessions/${query}`, {
    headers: { 'x-tenant': ['a', 'b'], accept: 'application/json' }
  } as object)
  const received = didit.requests[0]
  t.equal(received?.url, `/v3/sessions/${query}`, 'query byte for byte')
  const tenants = []
  for (let i = 0; i < (received?.rawHeaders.length ?? 0); i += 2) {
    if (received?.rawHeaders[i]?.toLowerCase() === 'x-tenant') tenants.push(received.rawHeaders[i + 1])
  }
  t.same(tenants, ['a', 'b'], 'both header lines, in order')
  t.equal(received?.headers.host, new URL(didit.url).host)
  t.notOk(
    Object.keys(received?.headers ?? {}).some((name) => name.startsWith('x-forwarded')),
    'no X-Forwarded-*'
  )

  for (const method of ['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']) {
    didit.script({ path: '/anything/' }, { status: 200, body: { ok: true } })
    const response = await send(`${sidecar.url}/anything/`, {
      method,
      ...(method === 'HEAD' || method === 'OPTIONS' ? {} : { body: method })
    })
    t.equal(response.status, 200, method)
    const last = didit.requests.at(-1)
    t.equal(last?.method, method)
    if (method !== 'HEAD' && method !== 'OPTIONS') t.equal(last?.body.toString(), method, `${method} body`)
  }
})

t.test('a path prefix in upstream.url is kept; // paths stay paths on the upstream', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, { upstream: { url: `${didit.url}/base` } })
  await new Promise<void>((resolve, reject) => {
    // A raw request, since clients normalise `//host/x` away.
    const req = httpRequest(`${sidecar.url}/v3/session/`, { method: 'GET', path: '//other.host/x' }, (res) => {
      res.resume().on('end', resolve)
    })
    req.on('error', reject).end()
  })
  const send = client(t)
  await send(`${sidecar.url}/v3/session/abc/decision/`)
  t.same(
    didit.requests.map((r) => r.url),
    ['/base//other.host/x', '/base/v3/session/abc/decision/']
  )
})

t.test('hop-by-hop headers, and those named in Connection, stop at the sidecar', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  didit.script(
    { path: '/hop/' },
    { status: 200, headers: { 'x-drop-me': 'x', connection: 'x-drop-me', 'x-keep': 'y' }, body: 'ok' }
  )
  const sidecar = await startSidecar(t, { upstream: { url: didit.url } })
  const response = await new Promise<{ headers: Record<string, unknown> }>((resolve, reject) => {
    const req = httpRequest(
      `${sidecar.url}/hop/`,
      {
        headers: {
          connection: 'keep-alive, x-secret-hop',
          'x-secret-hop': '1',
          'keep-alive': 'timeout=5',
          te: 'gzip',
          'proxy-authorization': 'Basic x',
          'x-end': 'e'
        }
      },
      (res) => {
        res.resume().on('end', () => resolve({ headers: res.headers }))
      }
    )
    req.on('error', reject).end()
  })
  const received = didit.requests[0]?.headers ?? {}
  for (const name of ['x-secret-hop', 'keep-alive', 'te', 'proxy-authorization'])
    t.notOk(name in received, `${name} not forwarded`)
  t.equal(received['x-end'], 'e')
  t.notOk('x-drop-me' in response.headers, 'response header named in Connection dropped')
  t.equal(response.headers['x-keep'], 'y')
})

t.test('Expect: 100-continue uploads work', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, { upstream: { url: didit.url } })
  const body = randomBytes(2 * 1024 * 1024)
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(`${sidecar.url}/v3/upload/`, {
      method: 'POST',
      headers: {
        expect: '100-continue',
        'content-length': String(body.length),
        'content-type': 'application/octet-stream'
      }
    })
    req.on('continue', () => req.end(body))
    req.on('response', (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)))
    req.on('error', reject)
  })
  t.equal(status, 404, "the fake's answer for an unknown path")
  t.equal(didit.requests[0]?.sha256, sha256(body))
  t.notOk('expect' in (didit.requests[0]?.headers ?? {}), 'Expect answered here, not forwarded')
})

t.test('x-api-key is injected, replacing the client value, when upstream.apiKey is set', async (t) => {
  const didit = await startFakeDidit({ apiKey: 'server-key' })
  t.teardown(() => didit.close())
  const send = client(t)
  const injecting = await startSidecar(t, { upstream: { url: didit.url, apiKey: 'server-key' } })
  const plain = await startSidecar(t, { upstream: { url: didit.url } })
  t.equal((await send(`${injecting.url}/v3/sessions/`, { headers: { 'x-api-key': 'client-key' } })).status, 200)
  t.equal((await send(`${injecting.url}/v3/sessions/`)).status, 200)
  t.equal((await send(`${plain.url}/v3/sessions/`, { headers: { 'x-api-key': 'client-key' } })).status, 403)
  t.equal((await send(`${plain.url}/v3/sessions/`, { headers: { 'x-api-key': 'server-key' } })).status, 200)
  t.same(
    didit.requests.map((r) => r.headers['x-api-key']),
    ['server-key', 'server-key', 'client-key', 'server-key']
  )
})

t.test('x-request-id: a safe client id is kept and forwarded, others are replaced', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, { upstream: { url: didit.url } })
  const send = client(t)
  const kept = await send(`${sidecar.url}/v3/sessions/`, { headers: { 'x-request-id': 'abc-123.DEF_4:5' } })
  t.equal(kept.headers['x-request-id'], 'abc-123.DEF_4:5')
  t.equal(didit.requests[0]?.headers['x-request-id'], 'abc-123.DEF_4:5')
  const replaced = await send(`${sidecar.url}/v3/sessions/`, {
    headers: { 'x-request-id': `bad id ${'x'.repeat(200)}` }
  })
  const id = replaced.headers['x-request-id'] as string
  t.match(id, /^[0-9a-f-]{36}$/)
  t.equal(didit.requests[1]?.headers['x-request-id'], id)
  const line = sidecar.logs().find((entry) => entry.msg === 'request completed' && entry.reqId === id)
  t.ok(line, 'the log line carries the same id')
})
