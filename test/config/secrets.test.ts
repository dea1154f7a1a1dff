// Secrets from the environment are trimmed; what still cannot be used (a header value with a
// control character, a Redis URL the client cannot parse) is refused at load, naming the field
// and never the value; and --check output masks credentials wherever the Redis client finds them.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { ConfigError, loadConfigFile, resolveConfig } from '../../src/config/load.js'
import { printConfig } from '../../src/config/print.js'

const SHIPPED = join(import.meta.dirname, '../../config.yaml')

function refusal(document: Record<string, unknown>): string {
  try {
    resolveConfig(document, { env: {} })
  } catch (error) {
    if (error instanceof ConfigError) return error.message
    throw error
  }
  return 'accepted'
}

t.test('surrounding whitespace is trimmed from secrets in the environment', async (t) => {
  const config = await loadConfigFile(SHIPPED, {
    env: { DIDIT_API_KEY: 'key-42\n', DIDIT_SIDECAR_REDIS_URL: ' redis://:pw@redis:6379\r\n' }
  })
  t.equal(config.upstream.apiKey, 'key-42')
  t.equal(config.idempotency.store.url, 'redis://:pw@redis:6379')
  t.equal(config.rateLimit.store.url, 'redis://:pw@redis:6379', 'the rate limiter shares the variable')
})

t.test('an API key that cannot be a header value is refused, the value never shown', async (t) => {
  for (const apiKey of ['key\n42', 'key\u000042', 'kéy-€']) {
    const message = refusal({ upstream: { apiKey } })
    t.match(message, /upstream\.apiKey: contains characters that cannot be sent in a header/, JSON.stringify(apiKey))
    t.notMatch(message, /42|€|kéy/, 'no part of the value')
  }
  t.equal(refusal({ upstream: { apiKey: 'k-\t-ok' } }), 'accepted', 'a tab is a valid header character')
})

t.test('a Redis URL the client cannot use is refused, the value never shown', async (t) => {
  for (const url of ['redis://:pa/ss@redis:6379', 'redis://redis:port/0', 'redis://redis:6379/zero']) {
    const message = refusal({ idempotency: { store: { type: 'redis', url } } })
    t.match(message, /idempotency\.store\.url: is not a URL the Redis client can use/, url)
    t.notMatch(message, /pa\/ss|port|zero/, 'no part of the value')
    const limiter = refusal({ rateLimit: { store: { type: 'redis', url } } })
    t.match(limiter, /rateLimit\.store\.url: is not a URL the Redis client can use/, `rateLimit: ${url}`)
    t.notMatch(limiter, /pa\/ss|port|zero/, 'no part of the value')
  }
})

t.test('credentials are masked as the Redis client parses them', async (t) => {
  const shown = (url: string) =>
    parse(printConfig(resolveConfig({ idempotency: { store: { url } } }, { env: {} }))).idempotency.store.url
  t.equal(shown('redis://user:p@ssw0rd@redis:6379'), 'redis://<redacted>@redis:6379', 'an @ in the password')
  t.equal(shown('redis://:s3cret@redis:6379/2'), 'redis://<redacted>@redis:6379/2', 'password only')
  t.equal(shown('rediss://redis:6380/0?password=s3cret&family=6'), 'rediss://redis:6380/0?password=<redacted>&family=6')
  t.equal(shown('redis://redis:6379'), 'redis://redis:6379', 'nothing to mask')
  const printed = printConfig(
    resolveConfig({ idempotency: { store: { url: 'redis://u:p@ss:w@rd@r:1' } } }, { env: {} })
  )
  t.notMatch(printed, /p@ss|w@rd|rd@/, 'never a fragment of the password')
})

t.test('a Redis URL is refused exactly when the Redis client itself cannot use it', async (t) => {
  const { parseURL } = createRequire(import.meta.url)('ioredis/built/utils/index.js') as {
    parseURL(url: string): { db?: unknown }
  }
  const usable = (url: string) => {
    try {
      const { db } = parseURL(url)
      return db === undefined || /^\d+$/.test(String(db))
    } catch {
      return false
    }
  }
  const urls = [
    'redis://:pa/ss@redis:6379',
    'redis://user:p@ssw0rd@redis:6379',
    'redis://:%zz@redis:6379',
    'redis://redis:6379/2',
    'rediss://redis:6380/?db=3',
    'redis://redis:6379?db=x',
    'redis://[::1]:6379',
    'redis://redis:99999'
  ]
  for (const url of urls) {
    const accepted = refusal({ idempotency: { store: { type: 'redis', url } } }) === 'accepted'
    t.equal(accepted, usable(url), `${url}: ${usable(url) ? 'usable' : 'unusable'} for ioredis`)
  }
})
