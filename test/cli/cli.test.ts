// The CLI: --help, --check (valid and invalid), and the config path.
import t from 'tap'
import { runCli, writeConfig } from '../helpers/cli.js'

t.test('--help prints usage and exits 0', async (t) => {
  const cli = runCli(t, ['--help'])
  t.same(await cli.exited, { code: 0, signal: null })
  t.match(cli.output(), /Usage: didit-sidecar \[--config PATH\] \[--check\]/)
})

t.test('an unknown flag is a usage error', async (t) => {
  const cli = runCli(t, ['--chekc'])
  t.equal((await cli.exited).code, 2)
  t.match(cli.output(), /Unknown option '--chekc'/)
})

t.test('--check prints the effective config with secrets masked', async (t) => {
  const cli = runCli(t, ['--check', '--config', 'config.yaml'], {
    DIDIT_API_KEY: 'super-secret-key-42',
    DIDIT_SIDECAR_REDIS_URL: 'redis://user:redis-password-7@redis.internal:6379'
  })
  t.same(await cli.exited, { code: 0, signal: null })
  const output = cli.output()
  t.match(output, /# config\.yaml: valid/)
  t.match(output, /apiKey: <redacted>/)
  t.match(output, /url: redis:\/\/<redacted>@redis\.internal:6379/)
  t.match(output, /perTryTimeout: 15s/, 'durations in units')
  t.match(output, /bodyLimit: 32MiB/, 'sizes in units')
  t.notMatch(output, /super-secret-key-42/)
  t.notMatch(output, /redis-password-7/)
})

t.test('--check on an invalid config exits 1 naming every bad field', async (t) => {
  const path = await writeConfig({
    upstream: { url: 'https://verification.didit.me', timeout: '5s' },
    routes: [
      { name: 'a', method: 'GET', path: '/a/' },
      { name: 'b', method: 'GET', path: '/b/' },
      { name: 'c', method: 'POST', path: '/c/', retry: { maxAttempts: 0 } }
    ]
  })
  const cli = runCli(t, ['--check', '--config', path])
  t.equal((await cli.exited).code, 1)
  t.match(cli.output(), /upstream\.timeout: unknown key/)
  t.match(cli.output(), /routes\[2\]\.retry\.maxAttempts: must be >= 1/)
})

t.test('DIDIT_SIDECAR_CONFIG names the file when --config is absent', async (t) => {
  const cli = runCli(t, ['--check'], { DIDIT_SIDECAR_CONFIG: '/nonexistent/didit.yaml' })
  t.equal((await cli.exited).code, 1)
  t.match(cli.output(), /\/nonexistent\/didit\.yaml: cannot be read \(ENOENT\)/)
})
