// The parser-level defences, on raw sockets both sides: a raw client writes exact bytes, and a raw
// upstream records every byte it receives. Smuggling-shaped framing never reaches Didit, hop-by-hop
// headers stop here both ways, one x-api-key goes upstream, labels stay bounded, and an unread
// response holds the upstream back instead of filling the sidecar's memory.
import { connect, createServer, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { metric, metricsAfter } from '../helpers/e2e.js'
import { rawRequest } from '../helpers/raw-http.js'
import { startSidecar } from '../helpers/sidecar.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

interface Recorder {
  url: string
  /** Every byte received, all connections together. */
  received(): string
  /** Bytes written to clients so far, all connections together. */
  sent(): number
}

/**
 * A raw upstream that records every byte and, once a head has arrived, calls `answer` once per
 * connection (the default answers 200 with a small body).
 */
async function startRecorder(
  t: Teardown,
  answer: (socket: Socket, count: (n: number) => void) => void = (socket) =>
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
): Promise<Recorder> {
  let received = ''
  let sent = 0
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    let answered = false
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      if (answered || !received.includes('\r\n\r\n')) return
      answered = true
      answer(socket, (n) => {
        sent += n
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening')
  return { url: `http://127.0.0.1:${address.port}`, received: () => received, sent: () => sent }
}

/** Asserts a refusal: a 400 problem+json from the sidecar, or Node's own bare 400. */
function assertRefused(t: Test, answer: { status: number; headers: Record<string, string> }, what: string) {
  t.equal(answer.status, 400, `${what}: 400`)
  const type = answer.headers['content-type']
  if (type !== undefined) t.match(type, /^application\/problem\+json/, `${what}: problem+json`)
}

const GET = 'GET /v3/sessions/ HTTP/1.1\r\nHost: x\r\n'
const POST = 'POST /v3/session/ HTTP/1.1\r\nHost: x\r\n'

const smuggling: Array<[string, string]> = [
  ['obs-fold', `${GET}X-A: a\r\n folded\r\n\r\n`],
  ['obs-fold with a tab', `${GET}X-A: a\r\n\tfolded\r\n\r\n`],
  ['duplicate Content-Length, different values', `${POST}Content-Length: 2\r\nContent-Length: 5\r\n\r\nhello`],
  ['duplicate Content-Length, same values', `${POST}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`],
  ['Content-Length list', `${POST}Content-Length: 5, 5\r\n\r\nhello`],
  [
    'Content-Length and Transfer-Encoding',
    `${POST}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`
  ],
  [
    'Transfer-Encoding and Content-Length',
    `${POST}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n`
  ],
  ['Transfer-Encoding not ending in chunked', `${POST}Transfer-Encoding: chunked, identity\r\n\r\nhello`],
  ['bare LF after a header', 'GET /v3/sessions/ HTTP/1.1\r\nHost: x\nX-A: a\r\n\r\n'],
  ['bare LF after the request line', 'GET /v3/sessions/ HTTP/1.1\nHost: x\r\n\r\n'],
  ['NUL in a header value', `${GET}X-A: a\x00b\r\n\r\n`],
  ['SOH in a header value', `${GET}X-A: a\x01b\r\n\r\n`],
  ['bare CR in a header value', `${GET}X-A: a\rb\r\n\r\n`],
  ['DEL in a header value', `${GET}X-A: a\x7fb\r\n\r\n`],
  ['a space before the colon', `${GET}X-A : a\r\n\r\n`]
]

t.test('smuggling-shaped framing and control bytes: refused, and not one byte reaches upstream', async (t) => {
  const upstream = await startRecorder(t)
  const sidecar = await startSidecar(t, { upstream: { url: upstream.url } })
  for (const [what, bytes] of smuggling) {
    const answer = await rawRequest(sidecar.url, bytes)
    assertRefused(t, answer, what)
  }
  const control = await rawRequest(sidecar.url, `${GET}X-A: a\r\n\r\n`)
  t.equal(control.status, 200, 'the same request, well formed, goes through')
  t.equal(upstream.received().match(/^GET /gm)?.length, 1, 'upstream saw the well-formed request only')
  t.notMatch(upstream.received(), /hello|folded/, 'no refused byte reached upstream')
})

t.test('hop-by-hop headers stop at the sidecar in both directions', async (t) => {
  const upstream = await startRecorder(t, (socket) =>
    socket.write(
      'HTTP/1.1 200 OK\r\nConnection: x-resp-hop\r\nX-Resp-Hop: 1\r\nKeep-Alive: timeout=1234\r\n' +
        'Proxy-Authenticate: Basic realm="up"\r\nProxy-Connection: keep-alive\r\nTrailer: X-T\r\n' +
        'X-Resp-Keep: y\r\nContent-Length: 2\r\n\r\nok'
    )
  )
  const sidecar = await startSidecar(t, { upstream: { url: upstream.url } })
  const answer = await rawRequest(
    sidecar.url,
    `${GET}Connection: keep-alive, X-Req-Hop\r\nX-Req-Hop: 1\r\nKeep-Alive: timeout=4321\r\nTE: trailers\r\n` +
      'Proxy-Authorization: Basic cHJveHk=\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n' +
      'Trailer: X-T\r\nX-Req-Keep: e\r\n\r\n'
  )
  t.equal(answer.status, 200)
  const sent = upstream.received().toLowerCase()
  for (const name of [
    'x-req-hop',
    'keep-alive: timeout=4321',
    'te:',
    'proxy-authorization',
    'proxy-connection',
    'upgrade',
    'http2-settings',
    'trailer'
  ])
    t.notOk(sent.includes(name), `request: ${name} not forwarded`)
  t.ok(sent.includes('x-req-keep: e'), 'request: an end-to-end header forwarded')
  const head = answer.head.toLowerCase()
  for (const name of ['x-resp-hop', 'timeout=1234', 'proxy-authenticate', 'proxy-connection', 'trailer'])
    t.notOk(head.includes(name), `response: ${name} not passed on`)
  t.equal(answer.headers['x-resp-keep'], 'y', 'response: an end-to-end header passed on')
})

t.test('exactly one x-api-key upstream, whatever the client sends', async (t) => {
  const upstream = await startRecorder(t)
  const sidecar = await startSidecar(t, { upstream: { url: upstream.url, apiKey: 'server-key' } })
  const answer = await rawRequest(
    sidecar.url,
    `${GET}X-API-Key: client-1\r\nx-api-key: client-2\r\nX-Api-KEY: client-3\r\nx-api-key: client-4, client-5\r\n\r\n`
  )
  t.equal(answer.status, 200)
  const lines = upstream
    .received()
    .split('\r\n')
    .filter((line) => /^x-api-key\s*:/i.test(line))
  t.same(lines, ['x-api-key: server-key'], 'one line, the injected key')
  t.notMatch(upstream.received(), /client-\d/, 'no client key on the wire')
})

t.test('metric labels stay bounded for unknown paths and methods', async (t) => {
  const upstream = await startRecorder(t, (socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'))
  const sidecar = await startSidecar(t, { upstream: { url: upstream.url } })
  const requests = [
    ...Array.from({ length: 20 }, (_, i) => `GET /random-${i}/${'x'.repeat(i)}?q=${i} HTTP/1.1\r\nHost: x\r\n\r\n`),
    'PROPFIND /v3/ HTTP/1.1\r\nHost: x\r\n\r\n',
    'MKCOL /v3/ HTTP/1.1\r\nHost: x\r\n\r\n',
    'BREW /v3/ HTTP/1.1\r\nHost: x\r\n\r\n',
    'XYZZY /v3/ HTTP/1.1\r\nHost: x\r\n\r\n',
    'get /v3/ HTTP/1.1\r\nHost: x\r\n\r\n'
  ]
  for (const bytes of requests) await rawRequest(sidecar.url, bytes)
  const text = await metricsAfter(sidecar, requests.length)
  const series = text.split('\n').filter((line) => line.startsWith(`${metric('requests_total')}{`))
  const labels = (name: string) => new Set(series.map((line) => new RegExp(`${name}="([^"]*)"`).exec(line)?.[1]))
  t.same([...labels('route')], ['default'], 'unknown paths count under route="default"')
  t.notMatch(text, /random-/, 'no path in any label')
  const allowed = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'other'])
  for (const method of labels('method')) t.ok(allowed.has(method ?? ''), `method label ${method} is a routed one`)
  t.ok(series.length <= 4, `a handful of series (${series.length}), not one per request`)
})

t.test('an unread response holds the upstream back instead of filling memory', async (t) => {
  const total = 512 * 1024 * 1024
  const chunk = Buffer.alloc(64 * 1024, 'a')
  let finished = false
  const upstream = await startRecorder(t, (socket, count) => {
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${total}\r\n\r\n`)
    let written = 0
    const pump = () => {
      while (written < total && !socket.destroyed) {
        written += chunk.length
        count(chunk.length)
        if (!socket.write(chunk)) return void socket.once('drain', pump)
      }
      finished = written >= total
    }
    pump()
  })
  const sidecar = await startSidecar(t, { upstream: { url: upstream.url } })
  const { hostname, port } = new URL(sidecar.url)
  const client = connect(Number(port), hostname)
  t.teardown(() => client.destroy())
  client.on('error', () => undefined)
  client.write(`${GET}\r\n`)
  client.pause()
  // Wait until the upstream stalls: no progress for 300 ms.
  let last = -1
  for (let i = 0; i < 50 && upstream.sent() !== last; i++) {
    last = upstream.sent()
    await sleep(300)
  }
  t.notOk(finished, 'the upstream could not send the whole body')
  t.ok(
    upstream.sent() < 64 * 1024 * 1024,
    `upstream stalled after ${upstream.sent()} bytes (kernel and stream buffers)`
  )
  client.resume()
  client.destroy()
})
