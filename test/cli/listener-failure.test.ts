// A listener that cannot start (its port taken) stops the whole process with a one-line reason:
// never a proxy forwarding without probes and metrics, nor probes without a proxy.
import { createServer, type Server } from 'node:net'
import t from 'tap'
import { runCli, writeConfig } from '../helpers/cli.js'

async function takePort(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return (server.address() as { port: number }).port
}

for (const listener of ['admin', 'proxy'] as const) {
  t.test(`the ${listener} port already taken: exit 1 with the reason`, async (t) => {
    const taken = await takePort(t)
    const section = listener === 'admin' ? 'admin' : 'listen'
    const path = await writeConfig({
      upstream: { url: 'http://127.0.0.1:1' },
      [section]: { host: '127.0.0.1', port: taken }
    })
    const cli = runCli(t, ['--config', path])
    const exit = await Promise.race([
      cli.exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000))
    ])
    t.same(exit, { code: 1, signal: null }, 'exited 1')
    const reason = cli
      .output()
      .split('\n')
      .filter((line) => line.startsWith('didit-sidecar: '))
    t.equal(reason.length, 1, 'one line says why')
    t.match(reason[0], new RegExp(`cannot start the ${listener} listener on 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE`))
    t.notMatch(cli.output(), /"msg":"ready"/, 'never ready')
  })
}
