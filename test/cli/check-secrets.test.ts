// Secrets on the real CLI: `--check` masks every part of a Redis password and refuses what the
// clients cannot use, naming the field only; a key with a trailing newline (the usual Kubernetes
// Secret mistake) is trimmed, so calls carry the key instead of failing as a Didit outage.
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { runCli, writeConfig } from '../helpers/cli.js'
import { client } from '../helpers/client.js'

t.test('--check masks a password containing @', async (t) => {
  const cli = runCli(t, ['--check', '--config', 'config.yaml'], {
    DIDIT_API_KEY: 'key-42\n',
    DIDIT_SIDECAR_REDIS_URL: 'redis://user:p@ssw0rd@redis:6379'
  })
  t.same(await cli.exited, { code: 0, signal: null })
  t.match(cli.output(), /url: redis:\/\/<redacted>@redis:6379\n/)
  t.notMatch(cli.output(), /ssw0rd|p@ss|key-42/)
})

for (const [name, env, field] of [
  [
    'a Redis URL the client cannot parse',
    { DIDIT_SIDECAR_REDIS_URL: 'redis://:pa/ss@redis:6379' },
    'idempotency.store.url'
  ],
  ['an API key with a control character inside', { DIDIT_API_KEY: 'key\u0001-42' }, 'upstream.apiKey']
] as const) {
  t.test(`--check refuses ${name}, naming the field only`, async (t) => {
    const cli = runCli(t, ['--check', '--config', 'config.yaml'], env)
    t.equal((await cli.exited).code, 1)
    t.match(cli.output(), new RegExp(`${field.replace(/\./g, '\\.')}: `))
    t.notMatch(cli.output(), /pa\/ss|-42/, 'no part of the value')
  })
}

t.test('a key with a trailing newline reaches Didit trimmed', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a config value, expanded by the loader
  const path = await writeConfig({ upstream: { url: didit.url, apiKey: '${DIDIT_API_KEY}' } })
  const cli = runCli(t, ['--config', path], { DIDIT_API_KEY: 'key-42\n' })
  const { proxy } = await cli.ready
  const answer = await client(t)(`${proxy}/v3/sessions/`)
  t.equal(answer.status, 200)
  t.equal(didit.requests[0]?.headers['x-api-key'], 'key-42')
})
