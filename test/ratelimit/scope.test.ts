// The rate limiter counts per API key in the same scope as the idempotency store's tenant, so one
// key is one scope in metrics, logs and Redis for both; only the hash is ever kept.
import t from 'tap'
import { tenantOf } from '../../src/idempotency/scope.js'
import { hashApiKey } from '../../src/ratelimit/scope.js'

t.test("an API key's rate-limit scope is its idempotency tenant, and never the key", async (t) => {
  for (const key of ['key-1', 'key-2', 'a longer key with spaces']) {
    t.equal(hashApiKey(key), tenantOf([['x-api-key', key]]), key)
    t.notOk(hashApiKey(key).includes(key), 'the key itself is not in the scope')
  }
  t.not(hashApiKey('key-1'), hashApiKey('key-2'), 'two keys, two scopes')
})
