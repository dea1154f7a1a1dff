import t from 'tap'
import { checkTarget, splitTarget, upstreamBase } from '../../src/proxy/target.js'

t.test('origin-form only', async (t) => {
  t.equal(checkTarget('/v3/session/?a=1'), null)
  t.equal(checkTarget('//other.host/x'), null, 'a path, not an authority')
  t.equal(checkTarget('http://other.host/'), 'invalid_request_target')
  t.equal(checkTarget('*'), 'invalid_request_target')
  t.equal(checkTarget('other.host:443'), 'invalid_request_target')
  t.equal(checkTarget('/v3/session/#top'), 'invalid_request_target', 'no fragment in origin-form')
  t.equal(checkTarget('/v3/session/?a=1#top'), 'invalid_request_target')
})

t.test('dot-segments, plain or percent-encoded, anywhere in the path', async (t) => {
  for (const path of ['/..', '/a/../b', '/a/./b', '/.', '/a/%2e%2E/b', '/a/%2E/b', '/a/.%2e/', '/a/%2e./'])
    t.equal(checkTarget(path), 'invalid_path', path)
  for (const path of ['/a/.../b', '/a/..b/', '/a/.well-known/', '/a/b.', '/a/?x=/../'])
    t.equal(checkTarget(path), null, path)
})

t.test('split and upstream base', async (t) => {
  t.same(splitTarget('/a/b?x=1&y'), { path: '/a/b', query: '?x=1&y' })
  t.same(splitTarget('/a'), { path: '/a', query: '' })
  t.same(splitTarget('/a?'), { path: '/a', query: '?' })
  t.same(upstreamBase('https://verification.didit.me'), { origin: 'https://verification.didit.me', prefix: '' })
  t.same(upstreamBase('http://127.0.0.1:8080/base/'), { origin: 'http://127.0.0.1:8080', prefix: '/base' })
})
