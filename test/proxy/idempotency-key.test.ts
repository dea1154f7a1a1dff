import t from 'tap'
import { decideKey } from '../../src/proxy/idempotency-key.js'
import { requestIdFrom } from '../../src/proxy/request-id.js'

const uuid = () => '00000000-0000-4000-8000-000000000000'

t.test('keys for configured methods only', async (t) => {
  t.same(decideKey('GET', 'k', ['POST'], uuid), { kind: 'none' })
  t.same(decideKey('POST', undefined, ['POST'], uuid), { kind: 'key', key: uuid(), source: 'generated' })
  t.same(decideKey('POST', 'order-42', ['POST'], uuid), { kind: 'key', key: 'order-42', source: 'client' })
  t.same(decideKey('PATCH', '"quoted"', ['POST', 'PATCH'], uuid), { kind: 'key', key: '"quoted"', source: 'client' })
})

t.test('invalid client keys', async (t) => {
  const bad = ['', 'a b', 'tab\there', 'é', 'x'.repeat(256), 'a\u0000', ['a', 'b']]
  for (const value of bad) t.same(decideKey('POST', value, ['POST'], uuid), { kind: 'invalid' }, JSON.stringify(value))
  t.same(decideKey('POST', 'x'.repeat(255), ['POST'], uuid).kind, 'key', '255 characters are fine')
  t.same(decideKey('POST', '!~', ['POST'], uuid).kind, 'key', 'the visible ASCII range ends included')
})

t.test('request ids', async (t) => {
  t.equal(requestIdFrom('abc-123_x.y:z', uuid), 'abc-123_x.y:z')
  for (const value of [undefined, '', 'has space', 'x'.repeat(129), 'new\nline', ['a', 'b']])
    t.equal(requestIdFrom(value, uuid), uuid(), JSON.stringify(value))
  t.match(requestIdFrom(undefined), /^[0-9a-f-]{36}$/)
})
