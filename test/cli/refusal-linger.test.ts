// A client still writing its body when the sidecar refuses it (413 over bodyLimit, or a refusal
// before the body is read) reads the answer instead of a broken pipe: the sidecar keeps reading
// and discarding the rest, within listen.lingerTime and listen.lingerSize (nginx's lingering
// close). The sidecar runs as its own process: in one process the race never shows.
import { request } from 'node:http'
import { connect } from 'node:net'
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { runCli, writeConfig } from '../helpers/cli.js'

const CHUNK = Buffer.alloc(64 * 1024, 'x')
const CHUNKS = 32
const ROUNDS = 8

/** Writes 64 KiB chunks of a chunked body; resolves with the status read, or the error code. */
function upload(url: string, path: string, chunks: number): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    // Options rather than a URL string: a URL would normalise dot-segments away.
    const req = request({ host: hostname, port, path, method: 'POST' })
    let settled = false
    const settle = (outcome: string) => {
      if (settled) return
      settled = true
      resolve(outcome)
    }
    req.on('response', (response) => {
      response.resume()
      response.on('end', () => settle(String(response.statusCode)))
      response.on('error', (error: NodeJS.ErrnoException) => settle(error.code ?? error.message))
    })
    req.on('error', (error: NodeJS.ErrnoException) => settle(error.code ?? error.message))
    void (async () => {
      for (let i = 0; i < chunks && !settled && !req.destroyed; i++) {
        if (!req.write(CHUNK)) await new Promise((drained) => req.once('drain', drained).once('close', drained))
      }
      if (!req.destroyed) req.end()
    })()
  })
}

async function rounds(url: string, path: string): Promise<string[]> {
  const outcomes: string[] = []
  for (let i = 0; i < ROUNDS; i++) outcomes.push(...(await Promise.all([1, 2].map(() => upload(url, path, CHUNKS)))))
  return outcomes
}

t.test('the client reads the refusal, every time', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const cases = [
    ['413, body being buffered', { listen: { bodyLimit: '256KiB' } }, '/v3/upload/', '413'],
    [
      '413, body being streamed',
      { listen: { bodyLimit: '256KiB' }, retry: { maxBufferedBody: '64KiB' } },
      '/v3/upload/',
      '413'
    ],
    ['400 before the body is read', {}, '/v3/a/../upload/', '400']
  ] as const
  for (const [name, document, path, status] of cases) {
    const cli = runCli(t, ['--config', await writeConfig({ upstream: { url: didit.url }, ...document })])
    const { proxy } = await cli.ready
    t.same(await rounds(proxy, path), Array(ROUNDS * 2).fill(status), name)
    cli.child.kill('SIGKILL')
    await cli.exited
  }
  t.equal(didit.requests.length, 0, 'nothing reached Didit')
})

t.test('lingering is bounded in size and in time', async (t) => {
  const path = await writeConfig({
    upstream: { url: 'http://127.0.0.1:1' },
    listen: { bodyLimit: '64KiB', lingerSize: '256KiB', lingerTime: '300ms' }
  })
  const cli = runCli(t, ['--config', path])
  const { proxy } = await cli.ready
  // A body that goes on and on: the connection is closed after about lingerSize more bytes.
  const endless = await upload(proxy, '/v3/upload/', 100_000)
  t.ok(['413', 'EPIPE', 'ECONNRESET'].includes(endless), `an endless body ends (${endless})`)

  // A client that dribbles its body: its bytes are discarded for lingerTime, then the connection
  // is closed (its next write is reset).
  const { hostname, port } = new URL(proxy)
  // Half-open allowed: the client must not close its side when it reads the sidecar's FIN.
  const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true })
  t.teardown(() => socket.destroy())
  socket.on('error', () => undefined)
  socket.write('POST /v3/upload/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')
  socket.write(`${(1024 * 1024).toString(16)}\r\n${'x'.repeat(128 * 1024)}`)
  let answer = ''
  socket.on('data', (chunk) => {
    answer += chunk.toString()
  })
  await new Promise((resolve) => socket.once('end', resolve))
  const answered = Date.now()
  const dribble = setInterval(() => socket.write('x'.repeat(1024)), 20)
  t.teardown(() => clearInterval(dribble))
  const closed = await Promise.race([
    new Promise((resolve) => socket.once('close', () => resolve('closed'))),
    new Promise((resolve) => setTimeout(() => resolve('still open'), 5000))
  ])
  t.equal(closed, 'closed', 'a dribbling body is not waited for')
  t.ok(Date.now() - answered >= 200, 'but its bytes were discarded for about lingerTime')
  t.match(answer, /^HTTP\/1\.1 413 /, 'after the 413')
})
