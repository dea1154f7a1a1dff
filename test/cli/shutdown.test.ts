// SIGTERM with requests in flight, on the real CLI: readiness turns 503 at once, new requests
// are served during shutdown.delay, in-flight requests finish, and the process exits 0.
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { runCli, writeConfig } from '../helpers/cli.js'
import { client } from '../helpers/client.js'

async function until(condition: () => boolean, what: string) {
  const give = Date.now() + 5000
  while (!condition()) {
    if (Date.now() > give) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal}: drain, then exit 0 without cutting a request short`, async (t) => {
    const didit = await startFakeDidit()
    t.teardown(() => didit.close())
    didit.script({ path: '/slow/' }, { status: 200, delayMs: 800, body: { done: true } }, { repeat: true })
    const path = await writeConfig({ upstream: { url: didit.url }, shutdown: { delay: '300ms', drainTimeout: '5s' } })
    const cli = runCli(t, ['--config', path])
    const { proxy, admin } = await cli.ready
    const send = client(t)
    t.equal((await send(`${admin}/readyz`)).status, 200, 'ready before the signal')

    const inFlight = [1, 2, 3].map(() => send(`${proxy}/slow/`))
    await until(() => didit.count({ path: '/slow/' }) === 3, 'three requests in flight')
    cli.child.kill(signal)
    await until(() => cli.output().includes('"msg":"draining"'), 'the draining line')
    t.equal((await send(`${admin}/readyz`)).status, 503, 'not ready while draining')
    t.equal((await send(`${admin}/healthz`)).status, 200, 'still healthy')
    const during = await send(`${proxy}/v3/sessions/`)
    t.equal(during.status, 200, 'a new request during shutdown.delay is served')

    const answers = await Promise.all(inFlight)
    t.same(
      answers.map((a) => [a.status, JSON.parse(a.body.toString())]),
      [1, 2, 3].map(() => [200, { done: true }]),
      'every in-flight request finished'
    )
    t.same(await cli.exited, { code: 0, signal: null })
    t.match(cli.output(), /"msg":"stopped"/)
  })
}

t.test('drainTimeout bounds the wait for a request that never ends', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  didit.script({ path: '/hang/' }, { action: 'hang' })
  const path = await writeConfig({ upstream: { url: didit.url }, shutdown: { delay: '0s', drainTimeout: '300ms' } })
  const cli = runCli(t, ['--config', path])
  const { proxy } = await cli.ready
  const send = client(t)
  const hanging = send(`${proxy}/hang/`).then(
    () => 'answered',
    () => 'cut'
  )
  await until(() => didit.count({ path: '/hang/' }) === 1, 'the request in flight')
  const started = Date.now()
  cli.child.kill('SIGTERM')
  t.same(await cli.exited, { code: 0, signal: null })
  t.ok(Date.now() - started < 4000, 'exited soon after the drain timeout')
  t.equal(await hanging, 'cut')
  t.match(cli.output(), /drain timeout/)
})

t.test('a second signal exits at once, and the line logged just before the exit is written', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  didit.script({ path: '/hang/' }, { action: 'hang' })
  const path = await writeConfig({ upstream: { url: didit.url }, shutdown: { delay: '0s', drainTimeout: '10s' } })
  const cli = runCli(t, ['--config', path])
  const { proxy } = await cli.ready
  const hanging = client(t)(`${proxy}/hang/`).catch(() => 'cut')
  await until(() => didit.count({ path: '/hang/' }) === 1, 'the request in flight')
  cli.child.kill('SIGTERM')
  await until(() => cli.output().includes('"msg":"draining"'), 'the draining line')
  cli.child.kill('SIGTERM')
  t.same(await cli.exited, { code: 1, signal: null })
  // Logged and followed by process.exit in the same turn: written by the log batch's exit flush.
  t.match(cli.output(), /"msg":"second signal: exiting without waiting"/)
  t.equal(await hanging, 'cut')
})
