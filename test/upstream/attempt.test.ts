import t from 'tap'
import { bodyProblem, failureOf, isValidStatus } from '../../src/upstream/attempt.js'

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
    ['UND_ERR_BODY_TIMEOUT', false, 'timeout'],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', false, 'protocol'],
    ['HPE_INVALID_CHUNK_SIZE', false, 'protocol'],
    ['UND_ERR_ABORTED', false, 'other'],
    [undefined, false, 'other']
  ]
  for (const [code, timedOut, failure] of cases)
    t.equal(failureOf(error(code), timedOut), failure, `${code} ${timedOut}`)
})

t.test('llhttp parse errors without a code are protocol failures', async (t) => {
  const parse = Object.assign(new Error('Response does not match the HTTP/1.1 protocol'), { name: 'HTTPParserError' })
  t.equal(failureOf(parse, false), 'protocol')
})

t.test('statuses a client can be given', async (t) => {
  t.same([99, 100, 204, 599, 600, 999].map(isValidStatus), [false, true, true, true, false, false])
})

t.test('a body that fails before its first byte: the sidecar blames the upstream, never itself', async (t) => {
  t.equal(bodyProblem('timeout'), 'upstream_timeout')
  t.equal(bodyProblem('reset'), 'upstream_reset')
  t.equal(bodyProblem('protocol'), 'upstream_protocol_error')
  t.equal(bodyProblem('other'), 'upstream_protocol_error')
})
