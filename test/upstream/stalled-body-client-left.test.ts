// A client with an Idempotency-Key leaves while the upstream body stalls. The sidecar keeps reading
// that body for the store, but not forever: upstream.bodyIdleTimeout cuts it and closes the socket,
// and the claim is settled at once instead of staying claimed (and blocking shutdown) until lockTtl:
// on an idempotent route it is released and the retry goes upstream; on a POST route the answer
// may have been processed, so the sidecar's 504 is kept and replayed.
import { request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { client } from '../helpers/client.js'
import { startRawUpstream } from '../helpers/raw-upstream.js'
import { startSidecar } from '../helpers/sidecar.js'

const IDLE_MS = 300
const HEADERS = { 'content-type': 'application/json', 'idempotency-key': 'order-stall-1', 'x-api-key': 'tenant-a' }
const BODY = '{"workflow_id":"w"}'

for (const idempotent of [true, false]) {
  t.test(
    `stalled body after the client left, ${idempotent ? 'idempotent' : 'POST'} route → socket closed, key settled`,
    async (t) => {
      const upstream = await startRawUpstream(t, (socket, req) => {
        if (req.index === 1) {
          socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"partial":`)
        } else {
          socket.write(
            'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'
          )
        }
      })
      const sidecar = await startSidecar(t, {
        upstream: { url: upstream.url, bodyIdleTimeout: `${IDLE_MS}ms` },
        idempotency: { concurrent: 'reject' },
        retry: { idempotent }
      })
      await new Promise<void>((resolve) => {
        const req = request(`${sidecar.url}/v3/session/`, { method: 'POST', headers: HEADERS }, (res) => {
          res.once('data', () => {
            req.destroy()
            resolve()
          })
        })
        req.on('error', () => undefined).end(BODY)
      })

      // The key stays claimed while the body is read for the store; once the body is cut it is free.
      const send = client(t)
      const started = Date.now()
      let retry = await send(`${sidecar.url}/v3/session/`, { method: 'POST', headers: HEADERS, body: BODY })
      while (retry.status === 409 && Date.now() - started < 5000) {
        await sleep(50)
        retry = await send(`${sidecar.url}/v3/session/`, { method: 'POST', headers: HEADERS, body: BODY })
      }
      if (idempotent) {
        t.equal(retry.status, 201, 'the retry reached upstream once the stalled claim was released')
        t.equal(retry.body.toString(), '{"ok":true}')
        t.equal(upstream.requests.length, 2)
      } else {
        t.equal(retry.status, 504, "the retry gets the sidecar's answer, kept under the key")
        t.equal(retry.headers['idempotent-replayed'], 'true')
        t.equal(upstream.requests.length, 1, 'never sent twice')
      }
      t.ok(Date.now() - started < 5000, `settled after ${Date.now() - started} ms, not after lockTtl`)
      const end = Date.now() + 3000
      while (upstream.requests[0]?.socketClosed() !== true && Date.now() < end) await sleep(10)
      t.ok(upstream.requests[0]?.socketClosed(), 'the stalled upstream socket was closed')
    }
  )
}
