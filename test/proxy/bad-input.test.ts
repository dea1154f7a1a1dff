// Bad input gets a clear problem+json answer and nothing reaches Didit.
import { connect } from 'node:net'
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'

/** Writes raw bytes and reads the whole answer (the server closes or answers with a length). */
function raw(url: string, bytes: string | Buffer[], { wait = 0 } = {}): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let answer = ''
    socket.setTimeout(5000, () => socket.destroy(new Error('raw request timed out')))
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1')
      const head = answer.indexOf('\r\n\r\n')
      const length = /content-length: (\d+)/i.exec(answer)
      if (head !== -1 && length !== null && answer.length >= head + 4 + Number(length[1])) socket.end()
    })
    socket.on('close', () => resolve(answer))
    socket.on('error', reject)
    socket.on('connect', async () => {
      for (const part of typeof bytes === 'string' ? [Buffer.from(bytes, 'latin1')] : bytes) {
        if (!socket.writable) return
        socket.write(part)
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      }
    })
  })
}

function problemOf(answer: string): { status: number; contentType: string; body: Record<string, unknown> } {
  const [head = '', body = ''] = answer.split('\r\n\r\n')
  return {
    status: Number(head.split(' ')[1]),
    contentType: /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? '',
    body: JSON.parse(body) as Record<string, unknown>
  }
}

t.test('bad request targets', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, { upstream: { url: didit.url }, listen: { bodyLimit: '64KiB' } })

  const cases: Array<[string, string, number, string]> = [
    [
      'absolute-form',
      'GET http://other.host/v3/sessions/ HTTP/1.1\r\nHost: other.host\r\n\r\n',
      400,
      'invalid_request_target'
    ],
    ['asterisk-form', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'invalid_request_target'],
    ['CONNECT', 'CONNECT other.host:443 HTTP/1.1\r\nHost: other.host:443\r\n\r\n', 405, 'method_not_allowed'],
    ['dot-dot', 'GET /v3/session/../sessions/ HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'invalid_path'],
    ['dot', 'GET /v3/./sessions/ HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'invalid_path'],
    ['encoded dot-dot', 'GET /v3/session/%2E%2e/sessions/ HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'invalid_path'],
    ['encoded dot', 'GET /v3/%2e/sessions/ HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'invalid_path'],
    ['trailing dot-dot', 'GET /v3/.. HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'invalid_path'],
    ['unknown method', 'PROPFIND /v3/ HTTP/1.1\r\nHost: x\r\n\r\n', 405, 'method_not_allowed'],
    [
      'content-length over the limit',
      `POST /v3/session/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${128 * 1024}\r\n\r\n{`,
      413,
      'request_too_large'
    ]
  ]
  for (const [name, request, status, code] of cases) {
    const answer = problemOf(await raw(sidecar.url, request))
    t.equal(answer.status, status, `${name}: status`)
    t.equal(answer.contentType, 'application/problem+json; charset=utf-8', `${name}: problem+json`)
    t.equal(answer.body.code, code, `${name}: code`)
    t.equal(answer.body.status, status, `${name}: status in body`)
    t.type(answer.body.title, 'string')
  }
  t.equal(didit.requests.length, 0, 'nothing reached upstream')
})

t.test('Expect: 100-continue over the limit gets 413 instead of 100 Continue', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, { upstream: { url: didit.url }, listen: { bodyLimit: '64KiB' } })
  const head = (length: number) =>
    `POST /v3/upload/ HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${length}\r\n\r\n`
  const refused = await raw(sidecar.url, head(128 * 1024))
  t.match(refused, /^HTTP\/1\.1 413 /, 'the first line is the refusal')
  t.notMatch(refused, /100 Continue/)
  const invited = await raw(sidecar.url, [Buffer.from(head(5)), Buffer.from('hello')], { wait: 50 })
  t.match(invited, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 404 /, 'accepted: 100, then the answer')
  t.equal(didit.requests.length, 1)
  t.equal(didit.requests[0]?.body.toString(), 'hello')
})

t.test('a chunked body over the limit gets 413 while streaming', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  // Buffered mode: the limit trips while reading, before anything is sent upstream.
  const buffered = await startSidecar(t, { upstream: { url: didit.url }, listen: { bodyLimit: '64KiB' } })
  // Streamed mode: the body is already flowing upstream when the limit trips.
  const streamed = await startSidecar(t, {
    upstream: { url: didit.url },
    listen: { bodyLimit: '64KiB' },
    retry: { maxBufferedBody: '16KiB' }
  })
  const chunk = 'x'.repeat(16 * 1024)
  const chunks = [
    Buffer.from(
      'POST /v3/upload/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n'
    )
  ]
  for (let i = 0; i < 8; i++) chunks.push(Buffer.from(`${(16 * 1024).toString(16)}\r\n${chunk}\r\n`))
  chunks.push(Buffer.from('0\r\n\r\n'))
  for (const [name, sidecar] of [
    ['buffered', buffered],
    ['streamed', streamed]
  ] as const) {
    const answer = problemOf(await raw(sidecar.url, chunks, { wait: 5 }))
    t.equal(answer.status, 413, `${name}: 413`)
    t.equal(answer.body.code, 'request_too_large', name)
  }
  t.equal(didit.requests.filter((r) => r.body.length > 64 * 1024).length, 0, 'no oversized body completed upstream')
  t.equal(didit.requests.length, 0, 'the fake never saw a complete request')
})

t.test('unreachable upstream → 502 upstream_unreachable; slow upstream → 504 upstream_timeout', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  didit.script({ path: '/slow/' }, { action: 'hang' }, { repeat: true })
  const send = client(t)
  const slow = await startSidecar(t, {
    upstream: { url: didit.url },
    retry: { maxAttempts: 1, perTryTimeout: '100ms', timeout: '1s' }
  })
  const timedOut = await send(`${slow.url}/slow/`)
  t.equal(timedOut.status, 504)
  t.equal(timedOut.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(JSON.parse(timedOut.body.toString()).code, 'upstream_timeout')

  const unreachable = await startSidecar(t, { upstream: { url: 'http://127.0.0.1:1' }, retry: { maxAttempts: 1 } })
  const refused = await send(`${unreachable.url}/v3/sessions/`)
  t.equal(refused.status, 502)
  t.equal(JSON.parse(refused.body.toString()).code, 'upstream_unreachable')
  t.equal(refused.headers['x-sidecar-attempts'], '1')
})
