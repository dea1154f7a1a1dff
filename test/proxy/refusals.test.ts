// Every refusal is the sidecar's own problem+json, counted in requests_total and logged with one
// line, like the others: a #fragment in the target, a malformed percent-encoding that Fastify's
// router cannot decode, and requests Node's parser refuses before Fastify sees them.
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { metric, metricsAfter } from '../helpers/e2e.js'
import { rawRequest } from '../helpers/raw-http.js'
import { sample, startSidecar } from '../helpers/sidecar.js'

const cases: Array<[string, string, number, string]> = [
  ['a #fragment', 'GET /v3/session/s-1/decision/#top HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'invalid_request_target'],
  ['a malformed percent-encoding', 'GET /v3/%zz HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'invalid_request_target'],
  ['obs-fold (Node parser)', 'GET /v3/sessions/ HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n', 400, 'bad_request'],
  [
    'a control byte in a header (Node parser)',
    'GET /v3/sessions/ HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n',
    400,
    'bad_request'
  ],
  [
    'a header section over the limit (Node parser)',
    `GET /v3/sessions/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
    431,
    'request_header_too_large'
  ]
]

for (const [what, bytes, status, code] of cases) {
  t.test(`${what} → ${status} ${code}, problem+json, counted and logged`, async (t) => {
    const didit = await startFakeDidit()
    t.teardown(() => didit.close())
    const sidecar = await startSidecar(t, { upstream: { url: didit.url }, log: { level: 'info' } })
    const answer = await rawRequest(sidecar.url, bytes)
    t.equal(answer.status, status, 'status')
    t.match(answer.headers['content-type'], /^application\/problem\+json/, 'problem+json')
    const problem = JSON.parse(answer.body) as Record<string, unknown>
    t.equal(problem.code, code, 'code')
    t.equal(problem.status, status, 'status in the body')
    t.type(answer.headers['x-request-id'], 'string', 'a request id')
    t.equal(didit.requests.length, 0, 'nothing reached upstream')
    const metrics = await metricsAfter(sidecar, 1)
    t.equal(sample(metrics, metric('requests_total'), { code: String(status), outcome: 'rejected' }), 1, 'counted')
    const lines = sidecar.logs().filter((line) => line.msg === 'request completed')
    t.equal(lines.length, 1, 'one log line')
    t.match(lines[0], { level: 30, status, outcome: 'rejected', reqId: answer.headers['x-request-id'] })
  })
}
