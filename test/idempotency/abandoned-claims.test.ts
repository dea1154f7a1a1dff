// The undo list of claims the Redis store gave up on: tried at once, retried in order while the
// store fails, forgotten once undone or past lockTtl (expired by itself by then).
import t from 'tap'
import { AbandonedClaims } from '../../src/idempotency/abandoned-claims.js'
import { StoreUnavailableError } from '../../src/idempotency/store.js'

function setup() {
  let now = 0
  const world = { failing: true, released: [] as string[], tries: 0 }
  const claims = new AbandonedClaims(
    async (key, owner) => {
      world.tries++
      if (world.failing) throw new StoreUnavailableError('down')
      world.released.push(`${key}/${owner}`)
      return true
    },
    () => now
  )
  return { claims, world, advance: (ms: number) => (now += ms) }
}

t.test('an abandoned claim is undone at once when the store answers', async (t) => {
  const { claims, world } = setup()
  world.failing = false
  claims.add('k', 'owner-1', 1000)
  await claims.drain()
  t.same(world.released, ['k/owner-1'])
  t.equal(claims.size, 0)
})

t.test('while the store fails, claims wait in order and are undone on the next drain', async (t) => {
  const { claims, world } = setup()
  claims.add('k1', 'owner-1', 1000)
  claims.add('k2', 'owner-2', 1000)
  await claims.drain()
  t.equal(claims.size, 2, 'kept while the store fails')
  world.failing = false
  await claims.drain()
  t.same(world.released, ['k1/owner-1', 'k2/owner-2'])
  t.equal(claims.size, 0)
})

t.test('a claim past its lockTtl is forgotten without a store call', async (t) => {
  const { claims, world, advance } = setup()
  claims.add('k', 'owner-1', 1000)
  await claims.drain()
  const tries = world.tries
  advance(1000)
  world.failing = false
  await claims.drain()
  t.equal(world.tries, tries, 'no release sent')
  t.same(world.released, [])
  t.equal(claims.size, 0)
})

t.test('the list is bounded during a long outage', async (t) => {
  const { claims } = setup()
  for (let i = 0; i < 10_050; i++) claims.add(`k${i}`, `owner-${i}`, 60_000)
  t.equal(claims.size, 10_000)
})
