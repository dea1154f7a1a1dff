import t from 'tap'
import { inboundHeaders, outboundHeaders } from '../../src/proxy/headers.js'

t.test('outbound: hop-by-hop and Connection-named headers dropped, order and repeats kept', async (t) => {
  const raw = [
    'Host',
    'sidecar:8080',
    'Connection',
    'keep-alive, X-Hop',
    'X-Hop',
    '1',
    'Keep-Alive',
    'timeout=5',
    'Transfer-Encoding',
    'chunked',
    'Expect',
    '100-continue',
    'Upgrade',
    'h2c',
    'Proxy-Authorization',
    'Basic x',
    'TE',
    'trailers',
    'X-Tenant',
    'a',
    'Content-Length',
    '5',
    'X-API-Key',
    'client',
    'X-Tenant',
    'b',
    'connection',
    'x-second-hop',
    'x-second-hop',
    '2'
  ]
  t.same(outboundHeaders(raw, { set: { 'x-api-key': 'server', 'x-request-id': 'r1' }, keepContentLength: false }), [
    'X-Tenant',
    'a',
    'X-Tenant',
    'b',
    'x-api-key',
    'server',
    'x-request-id',
    'r1'
  ])
  t.same(
    outboundHeaders(['Content-Length', '5', 'X-Api-Key', 'client'], { set: {}, keepContentLength: true }),
    ['Content-Length', '5', 'X-Api-Key', 'client'],
    'a streamed body keeps its length; no key set means the client key passes'
  )
})

t.test('inbound: hop-by-hop response headers dropped', async (t) => {
  t.same(
    inboundHeaders({
      connection: 'keep-alive, x-drop',
      'x-drop': '1',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'content-type': 'application/json',
      'set-cookie': ['a=1', 'b=2'],
      'x-none': undefined
    }),
    { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] }
  )
  // undici gives repeated response headers as arrays, Connection included
  t.same(inboundHeaders({ connection: ['close', 'x-a'], 'x-a': '1', 'x-b': '2' } as never), { 'x-b': '2' })
  t.same(inboundHeaders({ 'content-length': '2' }), { 'content-length': '2' }, 'no Connection header at all')
})

t.test('headers named like Object.prototype members are kept both ways', async (t) => {
  const raw = ['constructor', 'a', '__proto__', 'b', 'toString', 'c', 'hasOwnProperty', 'd']
  t.same(outboundHeaders(raw, { set: { 'x-request-id': 'r1' }, keepContentLength: false }), [
    ...raw,
    'x-request-id',
    'r1'
  ])
  const inbound = inboundHeaders(JSON.parse('{"constructor":"a","__proto__":"b","x":"c"}'))
  t.same(Object.entries(inbound), [
    ['constructor', 'a'],
    ['__proto__', 'b'],
    ['x', 'c']
  ])
})
