// The real config loader: the shipped file, env expansion, defaults, and errors naming every bad field.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, formatPath, loadConfigFile, resolveConfig } from '../../src/config/load.js'

function problemsOf(document: unknown): string[] {
  try {
    resolveConfig(document, { env: {} })
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  throw new Error('expected a ConfigError')
}

t.test('the shipped config.yaml is valid and honours its variables', async (t) => {
  const defaults = await loadConfigFile('config.yaml', { env: {} })
  t.equal(defaults.upstream.url, 'https://verification.didit.me')
  t.equal(defaults.upstream.apiKey, '')
  t.equal(defaults.listen.host, '127.0.0.1')
  t.equal(defaults.listen.port, 8080)
  t.equal(defaults.admin.host, '0.0.0.0')
  t.equal(defaults.admin.port, 9090)
  t.equal(defaults.log.level, 'info')
  t.equal(defaults.retry.perTryTimeout, 15_000)
  t.equal(defaults.retry.maxBufferedBody, 32 * 1024 * 1024)
  t.ok(defaults.routes.length >= 15, 'the Didit v3 endpoints')
  const poa = defaults.routes.find((route) => route.name === 'poa')
  t.equal(poa?.policy.perTryTimeout, 90_000, 'slow endpoint gets a longer per-try timeout')
  t.equal(poa?.policy.maxAttempts, 4, 'and inherits the rest of the default policy')

  const env = {
    DIDIT_SIDECAR_UPSTREAM: 'http://127.0.0.1:9999/base',
    DIDIT_API_KEY: 'k-123',
    DIDIT_SIDECAR_HOST: '::1',
    DIDIT_SIDECAR_PORT: '18080',
    DIDIT_SIDECAR_ADMIN_HOST: '127.0.0.1',
    DIDIT_SIDECAR_ADMIN_PORT: '19090',
    DIDIT_SIDECAR_LOG_LEVEL: 'debug'
  }
  const set = await loadConfigFile('config.yaml', { env })
  t.equal(set.upstream.url, env.DIDIT_SIDECAR_UPSTREAM)
  t.equal(set.upstream.apiKey, 'k-123')
  t.equal(set.listen.host, '::1')
  t.equal(set.listen.port, 18080, 'a number after expansion')
  t.equal(set.admin.host, '127.0.0.1')
  t.equal(set.admin.port, 19090)
  t.equal(set.log.level, 'debug')
})

t.test('an empty document gets every default', async (t) => {
  const config = resolveConfig({}, { env: {} })
  t.same(config.retry.on, ['connect-failure', 'reset', 'timeout', 429, 502, 503, 504])
  t.same(config.retry.backoff, { base: 250, max: 10_000, jitter: 'full' })
  t.same(config.retry.budget, { ratio: 0.2, minPerSecond: 10, window: 10_000 })
  t.equal(config.idempotency.header, 'Idempotency-Key')
  t.same(config.idempotency.methods, ['POST'])
  t.equal(config.shutdown.delay, 0)
  t.same(config.routes, [])
})

t.test('routes override any key of the default policy, nested keys one by one', async (t) => {
  const config = resolveConfig(
    {
      retry: { maxAttempts: 3, backoff: { base: '100ms' } },
      routes: [
        {
          name: 'a',
          method: ['GET', 'HEAD'],
          path: '/a/:id/',
          retry: { backoff: { jitter: 'none' }, idempotent: true }
        }
      ]
    },
    { env: {} }
  )
  const route = config.routes[0]
  t.same(route?.methods, ['GET', 'HEAD'])
  t.equal(route?.policy.maxAttempts, 3)
  t.same(route?.policy.backoff, { base: 100, max: 10_000, jitter: 'none' })
  t.equal(route?.policy.idempotent, true)
  t.equal(config.retry.idempotent, null, 'the default stays untouched')
})

t.test('every bad field is named by its path', async (t) => {
  const problems = problemsOf({
    listen: { port: 70000, bodyLimt: '1MiB' },
    upstream: { url: 'ftp://x', connectTimeout: '5 seconds' },
    log: { level: 'verbose' },
    retry: { on: ['reset', 404], backoff: { jitter: 'random' } },
    routes: [
      { name: 'ok', method: 'GET', path: '/a/' },
      { name: 'ok2', method: 'FETCH', path: 'b' },
      { name: 'c', method: 'POST', path: '/c/', retry: { maxAttempts: 0, budget: { ratio: -1 } } },
      { method: 'POST', path: '/d/' }
    ],
    extra: true
  })
  const expected = [
    'listen.port: must be <= 65535',
    'listen.bodyLimt: unknown key',
    'upstream.url: must match pattern',
    'upstream.connectTimeout: must be a duration',
    'log.level: must be one of fatal, error, warn, info, debug, trace, silent',
    'retry.on[1]: must be connect-failure, reset, timeout, 429 or a status code 500-599',
    'retry.backoff.jitter: must be one of full, equal, decorrelated, none',
    'routes[1].method: must be a method or a non-empty list of methods',
    'routes[1].path: must match pattern',
    'routes[2].retry.maxAttempts: must be >= 1',
    'routes[2].retry.budget.ratio: must be >= 0',
    'routes[3].name: is required',
    'extra: unknown key'
  ]
  for (const line of expected)
    t.ok(
      problems.some((problem) => problem.startsWith(line)),
      line
    )
  t.equal(problems.length, expected.length, problems.join('\n'))
})

t.test('rules across keys', async (t) => {
  t.same(
    problemsOf({
      retry: { perTryTimeout: '10s', timeout: '5s' },
      routes: [
        { name: 'default', method: 'GET', path: '/' },
        { name: 'x', method: 'GET', path: '/x/', retry: { backoff: { base: '20s' }, budget: { window: '2m' } } },
        { name: 'x', method: 'GET', path: '/y/' }
      ]
    }),
    [
      'routes[0].name: "default" is reserved for unmatched requests',
      'routes[2].name: duplicate route name "x"',
      'retry.perTryTimeout: must not exceed timeout',
      'routes[0].retry.perTryTimeout: must not exceed timeout',
      'routes[1].retry.perTryTimeout: must not exceed timeout',
      'routes[1].retry.backoff.base: must not exceed backoff.max',
      'routes[1].retry.budget.window: must be 1s to 60s',
      'routes[2].retry.perTryTimeout: must not exceed timeout'
    ]
  )
})

t.test('idempotency timing rules, and a document that is not a mapping', async (t) => {
  t.same(problemsOf({ idempotency: { pollInterval: 0, store: { lockTtl: '500ms', timeout: 0 } } }), [
    'idempotency.store.lockTtl: must be at least 1s',
    'idempotency.store.timeout: must be at least 1ms',
    'idempotency.pollInterval: must be at least 1ms'
  ])
  t.same(problemsOf('just a string'), ['(root): must be object'])
})

t.test('files: unreadable and malformed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'didit-sidecar-config-'))
  const broken = join(dir, 'broken.yaml')
  await writeFile(broken, 'listen: [unclosed\n')
  const problems = (promise: Promise<unknown>) =>
    promise.then(
      () => [],
      (error: ConfigError) => error.problems
    )
  t.match(await problems(loadConfigFile(join(dir, 'missing.yaml'))), [/missing\.yaml: cannot be read \(ENOENT\)/])
  t.match(await problems(loadConfigFile(broken)), [/broken\.yaml: is not valid YAML/])
  const empty = join(dir, 'empty.yaml')
  await writeFile(empty, '')
  t.equal((await loadConfigFile(empty, { env: {} })).listen.port, 8080, 'an empty file means all defaults')
})

t.test('JSON pointers become readable paths', async (t) => {
  t.equal(formatPath('/routes/2/retry/maxAttempts'), 'routes[2].retry.maxAttempts')
  t.equal(formatPath('/a~1b/c~0d'), 'a/b.c~d')
  t.equal(formatPath(''), '')
})
