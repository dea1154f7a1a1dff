// The config.yaml the chart renders is one the sidecar accepts (the real loader, with the
// environment the pod gives it), keeps the repository's routes by default, switches both stores
// of shared state (idempotency, rate limits) to Redis when asked, and a config change changes
// the pod's checksum.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { loadConfigFile, resolveConfig } from '../../src/config/load.js'
import { ROOT } from '../helpers/helm.js'
import { CI_VALUES, find, type K8sObject, template } from './render.js'

/** The environment the container gets: the values its env entries would hold. */
const ENV = {
  DIDIT_API_KEY: 'key-from-secret',
  DIDIT_SIDECAR_REDIS_URL: 'redis://:pw@redis.cache.svc:6379/0',
  DIDIT_SIDECAR_REDIS_PASSWORD: 's3cret'
}

function renderedConfig(objects: K8sObject[]): unknown {
  const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.data?.['config.yaml'] !== undefined)
  return parse(configMap?.data['config.yaml'])
}

t.test('the rendered config loads, for the default values and every ci values file', async (t) => {
  for (const args of [[], ...CI_VALUES.map((file) => ['-f', file])]) {
    const config = resolveConfig(renderedConfig(await template(args)), { env: ENV })
    t.equal(config.listen.host, '127.0.0.1', `${args[1] ?? 'defaults'}: loopback proxy`)
    t.equal(config.admin.host, '0.0.0.0', `${args[1] ?? 'defaults'}: admin on every interface`)
  }
})

t.test('the default routes are those of the repository config.yaml', async (t) => {
  const chart = resolveConfig(renderedConfig(await template()), { env: ENV })
  const repository = await loadConfigFile(join(ROOT, 'config.yaml'), { env: {} })
  t.same(chart.routes, repository.routes)
  t.same(chart.retry, repository.retry)
  t.equal(chart.upstream.url, repository.upstream.url)
  t.equal(chart.upstream.apiKey, ENV.DIDIT_API_KEY, 'the key comes from the environment (the Secret)')
  t.equal(chart.idempotency.store.type, 'memory')
  t.equal(chart.rateLimit.store.type, 'memory')
  t.same(chart.rateLimit.limits, repository.rateLimit.limits)
})

t.test('redis: the store is shared, its URL from the environment', async (t) => {
  const [file] = CI_VALUES.filter((path) => path.endsWith('/redis-values.yaml'))
  const objects = await template(['-f', file as string])
  const config = resolveConfig(renderedConfig(objects), { env: ENV })
  t.equal(config.idempotency.store.type, 'redis')
  t.equal(config.idempotency.store.url, ENV.DIDIT_SIDECAR_REDIS_URL)
  t.equal(config.rateLimit.store.type, 'redis', 'the rate limiter shares the same Redis')
  t.equal(config.rateLimit.store.url, ENV.DIDIT_SIDECAR_REDIS_URL)
  t.equal(config.rateLimit.store.keyPrefix, 'didit-sidecar:rl:', 'its own key prefix stays')
  const sidecar = find(objects, 'Deployment', '-demo')?.spec.template.spec.initContainers[0]
  t.same(
    sidecar.env.find((env: { name: string }) => env.name === 'DIDIT_SIDECAR_REDIS_URL').valueFrom,
    { secretKeyRef: { name: 'didit-sidecar-redis', key: 'url' } },
    'URL from the existing Secret'
  )
  t.same(
    sidecar.env.find((env: { name: string }) => env.name === 'DIDIT_API_KEY').valueFrom,
    { secretKeyRef: { name: 'didit-api', key: 'key' } },
    'API key from the existing Secret'
  )
  t.notOk(find(objects, 'Secret'), 'no chart-made Secret when one exists')

  const password = await template([
    '-f',
    CI_VALUES.find((path) => path.endsWith('/redis-password-values.yaml')) as string
  ])
  const withPassword = resolveConfig(renderedConfig(password), { env: ENV })
  t.equal(withPassword.idempotency.store.url, 'redis://:s3cret@redis-master.cache.svc:6379/0', 'password expanded')
  t.equal(withPassword.rateLimit.store.url, withPassword.idempotency.store.url, 'one Redis for both stores')
})

t.test("the sidecar's own keys under the chart's: store tuning and listener limits stay", async (t) => {
  const objects = await template([
    '--set',
    'redis.enabled=true,redis.url=redis://redis:6379/1',
    '--set',
    'config.rateLimit.store.onStoreError=reject,config.idempotency.store.ttl=1h',
    '--set',
    'config.listen.maxBufferedTotal=64MiB,config.admin.maxConnections=8'
  ])
  const config = resolveConfig(renderedConfig(objects), { env: ENV })
  t.same(
    [config.rateLimit.store.type, config.rateLimit.store.url, config.rateLimit.store.onStoreError],
    ['redis', 'redis://redis:6379/1', 'reject']
  )
  t.same([config.idempotency.store.type, config.idempotency.store.ttl], ['redis', 3_600_000])
  t.equal(config.listen.maxBufferedTotal, 64 * 1024 * 1024)
  t.equal(config.listen.host, '127.0.0.1')
  t.equal(config.admin.maxConnections, 8)
})

t.test('a chart-made Secret holds apiKey.value and never appears in the ConfigMap', async (t) => {
  const objects = await template(['--set', 'apiKey.value=very-secret-key'])
  const secret = find(objects, 'Secret')
  t.equal(Buffer.from(secret?.data['api-key'], 'base64').toString(), 'very-secret-key')
  t.notMatch(JSON.stringify(objects.filter((object) => object.kind !== 'Secret')), 'very-secret-key')
})

t.test('checksum/config follows the config', async (t) => {
  const checksum = async (args: string[]) =>
    find(await template(['--set', 'demo.enabled=true', ...args]), 'Deployment')?.spec.template.metadata.annotations[
      'checksum/config'
    ]
  const base = await checksum([])
  t.equal(await checksum([]), base, 'stable for the same values')
  t.not(await checksum(['--set', 'config.log.level=debug']), base, 'changes with the config')
})

t.test('the chart keeps the routes of config.yaml in its values (one list, checked here)', async (t) => {
  const values = parse(await readFile(join(ROOT, 'helm/didit-sidecar/values.yaml'), 'utf8'))
  const repository = parse(await readFile(join(ROOT, 'config.yaml'), 'utf8'))
  t.same(values.config.routes, repository.routes)
})
