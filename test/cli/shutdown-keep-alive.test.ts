// SIGTERM with a pooled keep-alive client (undici, as in Node's fetch): the process exits as soon
// as the last in-flight request is answered, not at drainTimeout, although the client would keep
// its idle connections open for a minute.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { Agent, request } from 'undici'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { runCli, writeConfig } from '../helpers/cli.js'

const DRAIN_TIMEOUT_MS = 20_000

async function until(condition: () => boolean, what: string) {
  const give = Date.now() + 5000
  while (!condition()) {
    if (Date.now() > give) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

t.test('idle and finished keep-alive connections do not hold the drain open', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  didit.script({ path: '/slow/' }, { status: 200, delayMs: 600, body: { done: true } }, { repeat: true })
  const path = await writeConfig({
    upstream: { url: didit.url },
    shutdown: { delay: '200ms', drainTimeout: `${DRAIN_TIMEOUT_MS}ms` }
  })
  const cli = runCli(t, ['--config', path])
  const { proxy } = await cli.ready
  // A client that keeps idle connections for a minute, as pooled clients do.
  const agent = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 })
  t.teardown(() => agent.destroy())
  const send = async (url: string) => {
    const response = await request(url, { dispatcher: agent })
    return { status: response.statusCode, connection: response.headers.connection, body: await response.body.text() }
  }

  // Two pooled connections: one left idle, one about to carry requests in flight.
  t.same(
    (await Promise.all([send(`${proxy}/v3/sessions/`), send(`${proxy}/v3/sessions/`)])).map((a) => a.status),
    [200, 200]
  )
  const inFlight = [send(`${proxy}/slow/`), send(`${proxy}/slow/`)]
  await until(() => didit.count({ path: '/slow/' }) === 2, 'two requests in flight')
  const signalled = Date.now()
  cli.child.kill('SIGTERM')
  await until(() => cli.output().includes('"msg":"draining"'), 'the draining line')
  const during = await send(`${proxy}/v3/sessions/`)
  t.equal(during.status, 200, 'a request during shutdown.delay is served')
  t.equal(during.connection, 'close', 'and told that its connection closes')

  const answers = await Promise.all(inFlight)
  t.same(
    answers.map((a) => a.status),
    [200, 200],
    'the in-flight requests finished'
  )
  const exit = await Promise.race([
    cli.exited,
    new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), DRAIN_TIMEOUT_MS / 2))
  ])
  t.same(exit, { code: 0, signal: null }, 'exited 0 well before drainTimeout')
  t.ok(Date.now() - signalled < DRAIN_TIMEOUT_MS / 2, `within half the drain timeout (${Date.now() - signalled} ms)`)
  t.notMatch(cli.output(), /drain timeout/)
  t.match(cli.output(), /"msg":"stopped"/)
})

t.test('an answer whose head went out before SIGTERM: its connection closes once the body ends', async (t) => {
  // An upstream that sends the head at once and the body later.
  const upstream = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('first part, ')
    setTimeout(() => res.end('and the rest'), 800)
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    upstream.closeAllConnections()
    upstream.close()
  })
  const path = await writeConfig({
    upstream: { url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` },
    shutdown: { delay: '0s', drainTimeout: `${DRAIN_TIMEOUT_MS}ms` }
  })
  const cli = runCli(t, ['--config', path])
  const { proxy } = await cli.ready
  const agent = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 })
  t.teardown(() => agent.destroy())

  const response = await request(`${proxy}/v3/stream/`, { dispatcher: agent })
  t.equal(response.headers.connection, 'keep-alive', 'the head went out before the signal')
  const signalled = Date.now()
  cli.child.kill('SIGTERM')
  t.equal(await response.body.text(), 'first part, and the rest', 'the body finished')
  const exit = await Promise.race([
    cli.exited,
    new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), DRAIN_TIMEOUT_MS / 2))
  ])
  t.same(exit, { code: 0, signal: null }, 'exited 0 well before drainTimeout')
  t.ok(Date.now() - signalled < DRAIN_TIMEOUT_MS / 2, `within half the drain timeout (${Date.now() - signalled} ms)`)
  t.notMatch(cli.output(), /drain timeout/)
})
