import t from 'tap'
import { type Credentials, scopeKey, tenantOf } from '../../src/idempotency/scope.js'
import { credentialsOf } from '../../src/proxy/idempotency.js'

const base = { tenant: 'tenant-hash', method: 'POST', path: '/v2/session/', key: 'abc' }

t.test('scopeKey separates tenants, methods, paths and keys', async (t) => {
  const key = scopeKey('didit-sidecar:', base)
  t.ok(key.startsWith('didit-sidecar:'))
  const variants = [{ tenant: 'other' }, { method: 'PUT' }, { path: '/v2/other/' }, { key: 'abd' }]
  for (const variant of variants)
    t.not(scopeKey('didit-sidecar:', { ...base, ...variant }), key, JSON.stringify(variant))
  const colon = (path: string, key: string) => scopeKey('p:', { ...base, path, key })
  t.not(colon('/a:b', 'c'), colon('/a', 'b:c'), 'a colon cannot move a boundary')
})

t.test('tenantOf: an x-api-key alone hashes as before, and never appears itself', async (t) => {
  // sha256("secret-api-key-123"), first 32 hex chars: the previous release's tenant for this key.
  t.equal(tenantOf([['x-api-key', 'secret-api-key-123']]), '58bcbf00206b7f71703cc789fd6f9550')
  t.notOk(scopeKey('p:', { ...base, tenant: String(tenantOf([['x-api-key', 'secret']])) }).includes('secret'))
})

t.test('tenantOf: no credentials, no tenant', async (t) => {
  t.equal(tenantOf([]), null)
  t.equal(tenantOf([['authorization', '']]), null, 'an empty value is no credential')
})

t.test('tenantOf: every credential Didit accepts counts, each apart from the others', async (t) => {
  const cases: Record<string, Credentials> = {
    'x-api-key': [['x-api-key', 'v']],
    authorization: [['authorization', 'v']],
    'session-token': [['session-token', 'v']],
    'x-transaction-token': [['x-transaction-token', 'v']],
    'another authorization': [['authorization', 'w']],
    'key and authorization': [
      ['x-api-key', 'v'],
      ['authorization', 'v']
    ],
    'key and another authorization': [
      ['x-api-key', 'v'],
      ['authorization', 'w']
    ],
    'two authorizations': [
      ['authorization', 'v'],
      ['authorization', 'w']
    ],
    'values that run together': [['authorization', 'v\0authorization\0']]
  }
  const tenants = Object.entries(cases).map(([what, credentials]) => [what, tenantOf(credentials)] as const)
  for (const [what, tenant] of tenants) t.match(tenant, /^[0-9a-f]{32}$/, what)
  t.equal(new Set(tenants.map(([, tenant]) => tenant)).size, tenants.length, 'all different')
  t.equal(
    tenantOf([
      ['session-token', 's'],
      ['authorization', 'a']
    ]),
    tenantOf([
      ['authorization', 'a'],
      ['session-token', 's']
    ]),
    'the order of different headers does not matter'
  )
})

t.test('credentialsOf reads every credential header; an injected key replaces the client key', async (t) => {
  const raw = ['Content-Type', 'x', 'X-Api-Key', 'client', 'Authorization', 'Bearer a', 'SESSION-TOKEN', 's']
  t.same(credentialsOf([...raw, 'X-Transaction-Token', 'tx'], ''), [
    ['x-api-key', 'client'],
    ['authorization', 'Bearer a'],
    ['session-token', 's'],
    ['x-transaction-token', 'tx']
  ])
  t.same(credentialsOf(raw, 'injected'), [
    ['x-api-key', 'injected'],
    ['authorization', 'Bearer a'],
    ['session-token', 's']
  ])
  t.same(credentialsOf(['Content-Type', 'x'], ''), [])
  t.same(credentialsOf(['Content-Type', 'x'], 'injected'), [['x-api-key', 'injected']])
})
