// SIGTERM with a pooled keep-alive client (undici, as in Node's fetch): the process exits as soon
// as the last in-flight request is answered, not at drainTimeout, although the client would keep
// its idle connections open for a minute.
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
  t.ok(Date.now() - signalled < DRAIN_TIMEOUT_MS / 2, 'within half the drain timeout')
  t.notMatch(cli.output(), /drain timeout/)
  t.match(cli.output(), /"msg":"stopped"/)
})
