import t from 'tap'
import { failureOf } from '../../src/upstream/attempt.js'

const error = (code?: string) => Object.assign(new Error('x'), code === undefined ? {} : { code })

t.test('undici failures are named', async (t) => {
  const cases: Array<[string | undefined, boolean, string]> = [
    [undefined, true, 'timeout'],
    ['ECONNRESET', true, 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', false, 'timeout'],
    ['ECONNREFUSED', false, 'connect-failure'],
    ['ENOTFOUND', false, 'connect-failure'],
    ['EAI_AGAIN', false, 'connect-failure'],
    ['UND_ERR_CONNECT_TIMEOUT', false, 'connect-failure'],
    ['ECONNRESET', false, 'reset'],
    ['UND_ERR_SOCKET', false, 'reset'],
    ['EPIPE', false, 'reset'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', false, 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', false, 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', false, 'tls'],
    ['CERT_HAS_EXPIRED', false, 'tls'],
    ['SELF_SIGNED_CERT_IN_CHAIN', false, 'tls'],
    ['UND_ERR_ABORTED', false, 'other'],
    [undefined, false, 'other']
  ]
  for (const [code, timedOut, failure] of cases)
    t.equal(failureOf(error(code), timedOut), failure, `${code} ${timedOut}`)
})
