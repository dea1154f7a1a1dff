// A client that leaves mid-response (a load balancer's or the client's own timeout) is the client's
// doing: one info line with the request's `aborted` outcome, never an error line with a stack.
// POSTs: their body was read, so Node does not flag the request itself as aborted.
import { request } from 'node:http'
import t from 'tap'
import { startRawUpstream } from '../helpers/raw-upstream.js'
import { startSidecar } from '../helpers/sidecar.js'
import { logsWhen } from '../retry-e2e/harness.js'

const cases = {
  'after the first body bytes': 'first-bytes',
  'after the head, before any body byte': 'head-only'
} as const

// With a client key the response is a copy kept for the store (a PassThrough), without one it is
// undici's body itself: they end differently when the client leaves.
for (const key of [undefined, 'order-leave-1'])
  for (const [what, when] of Object.entries(cases)) {
    t.test(
      `client leaves ${what}${key === undefined ? '' : ' (client key)'} → one info line, outcome aborted, no error`,
      async (t) => {
        let sent: () => void = () => undefined
        const headSent = new Promise<void>((resolve) => {
          sent = resolve
        })
        const upstream = await startRawUpstream(t, (socket) => {
          // The body never ends: only the client's leaving ends this response.
          socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n`)
          if (when === 'first-bytes') socket.write('x'.repeat(100))
          sent()
        })
        const sidecar = await startSidecar(t, { upstream: { url: upstream.url, bodyIdleTimeout: '5s' } })
        await new Promise<void>((resolve) => {
          const req = request(
            `${sidecar.url}/v3/session/`,
            { method: 'POST', headers: key === undefined ? {} : { 'idempotency-key': key } },
            (res) => {
              res.once('data', () => {
                req.destroy()
                resolve()
              })
            }
          )
          req.on('error', () => undefined).end('{"workflow_id":"w"}')
          if (when === 'head-only') {
            // Let the head reach the sidecar, then leave before the response started.
            void headSent.then(() =>
              setTimeout(() => {
                req.destroy()
                resolve()
              }, 50)
            )
          }
        })
        const lines = await logsWhen(sidecar, (line) => line.msg === 'request completed')
        const completed = lines.filter((line) => line.msg === 'request completed')
        t.equal(completed.length, 1, 'one line for the request')
        t.match(completed[0], { level: 30, outcome: 'aborted', attempts: 1 })
        const loud = sidecar.logs().filter((line) => Number(line.level) >= 40)
        t.same(loud, [], 'nothing at warn or error')
        t.notOk(sidecar.rawLogs().includes('RequestAbortedError'), 'no RequestAbortedError anywhere')
      }
    )
  }
