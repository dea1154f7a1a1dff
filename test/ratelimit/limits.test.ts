// Which limits a request counts against, and the waits around a slot.
import t from 'tap'
import { resolveConfig } from '../../src/config/load.js'
import { allowedWait, retryAfterSeconds } from '../../src/ratelimit/decide.js'
import { applicableLimits } from '../../src/ratelimit/limits.js'

const config = resolveConfig({ rateLimit: { margin: '100ms' } }, { env: {} }).rateLimit

t.test('the shared limit of the method, its window widened by the margin', async (t) => {
  t.same(applicableLimits(config, 'POST', { name: 'aml' }), [{ name: 'writes', limit: 300, window: 60_100 }])
  t.same(applicableLimits(config, 'DELETE', { name: 'x' }), [{ name: 'writes', limit: 300, window: 60_100 }])
  t.same(applicableLimits(config, 'GET', { name: 'x' }), [{ name: 'reads', limit: 600, window: 60_100 }])
  t.same(applicableLimits(config, 'HEAD', { name: 'x' }), [], 'a method no limit names is not limited')
})

t.test("the route's own limit first, on top of the shared one", async (t) => {
  t.same(applicableLimits(config, 'GET', { name: 'session-pdf', rateLimit: { limit: 50, window: 60_000 } }), [
    { name: 'route:session-pdf', limit: 50, window: 60_100 },
    { name: 'reads', limit: 600, window: 60_100 }
  ])
  t.same(applicableLimits(config, 'HEAD', { name: 'h', rateLimit: { limit: 1, window: 1000 } }), [
    { name: 'route:h', limit: 1, window: 1100 }
  ])
})

t.test('a request waits at most maxWait, and never up to its deadline', async (t) => {
  t.equal(allowedWait(2000, 10_000, 0), 2000)
  t.equal(allowedWait(2000, 1500, 1000), 499, 'the deadline is nearer')
  t.equal(allowedWait(2000, 1000, 1000), 0, 'no time left: only a free slot')
  t.equal(allowedWait(0, 10_000, 0), 0)
})

t.test('Retry-After: whole seconds, rounded up, at least 1', async (t) => {
  t.equal(retryAfterSeconds(1), 1)
  t.equal(retryAfterSeconds(1000), 1)
  t.equal(retryAfterSeconds(1001), 2)
  t.equal(retryAfterSeconds(0), 1)
})
