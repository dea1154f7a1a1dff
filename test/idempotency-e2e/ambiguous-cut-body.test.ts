// A POST (not idempotent) whose 200 was processed by Didit, but whose body breaks midway: the
// client's response is cut after its first bytes, and nothing complete can be stored. The key is
// not released: the sidecar's own problem for the failure is stored (504 when the body stalls past
// upstream.bodyIdleTimeout, 502 when it is reset), so the retry is replayed it, never billed twice.
import { request } from 'node:http'
import t from 'tap'
import { client } from '../helpers/client.js'
import { startRawUpstream } from '../helpers/raw-upstream.js'
import { startSidecar } from '../helpers/sidecar.js'
import { assertProblem, E2E_API_KEY, post, replayed } from './harness.js'

const PATH = '/v3/aml/'
const BODY = '{"full_name":"A"}'
const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"partial":'

/** Sends the keyed POST with node:http and resolves once its response has ended or broken: what its client saw. */
function cutShort(url: string, key: string): Promise<{ status: number; bytes: number; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', 'x-api-key': E2E_API_KEY, 'idempotency-key': key }
    const req = request(url, { method: 'POST', headers }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
      })
      res.on('error', () => undefined)
      res.on('close', () => resolve({ status: res.statusCode ?? 0, bytes, complete: res.complete }))
    })
    req.on('error', reject).end(BODY)
  })
}

const FAULTS = [
  { name: 'stalls', key: 'aml-cut-stall', status: 504, code: 'upstream_timeout', fault: () => undefined },
  {
    name: 'is reset',
    key: 'aml-cut-reset',
    status: 502,
    code: 'upstream_reset',
    fault: (socket: { destroy(): void }) => socket.destroy()
  }
] as const

for (const { name, key, status, code, fault } of FAULTS) {
  t.test(`a 200 whose body ${name} midway → ${status} ${code} stored, the retry replays it`, async (t) => {
    const upstream = await startRawUpstream(t, (socket, req) => {
      if (req.index > 1) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}')
        return
      }
      socket.write(HEAD)
      setTimeout(() => fault(socket), 100)
    })
    const sidecar = await startSidecar(t, {
      upstream: { url: upstream.url, bodyIdleTimeout: '300ms' },
      idempotency: { store: { type: 'memory' }, concurrent: 'wait', waitTimeout: '5s' }
    })

    const first = await cutShort(`${sidecar.url}${PATH}`, key)
    t.equal(first.status, 200, "the client had Didit's head")
    t.notOk(first.complete, 'and its response was cut')

    // The claim settles when the body breaks; a retry arriving before that waits for it.
    const retry = await client(t)(`${sidecar.url}${PATH}`, post(key, BODY))
    assertProblem(t, retry, status, code, 'the retry')
    t.ok(replayed(retry), 'Idempotent-Replayed: true')
    t.equal(upstream.requests.length, 1, 'upstream saw exactly one POST')
  })
}
