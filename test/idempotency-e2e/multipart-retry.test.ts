// Multipart retry (issue 7, item 5): FormData, axios and requests pick a new boundary per send,
// so a client's retry of an upload differs from the original in its bytes. With the same parts it
// is the same request: replayed, not 422. Another file under the same key is still a mismatch.
// The fingerprint does not depend on the store, so the memory store is enough here.
import t from 'tap'
import { FormData, Request } from 'undici'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import {
  assertProblem,
  E2E_API_KEY,
  FAST_BACKOFF,
  idempotencyCount,
  metricsAfter,
  replayed,
  startUpstream
} from './harness.js'

const PATH = '/v3/id-verification/'
const FRONT = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10, 0x20])

/** What a client's FormData sends: a fresh boundary on every call. */
async function upload(front: Buffer) {
  const form = new FormData()
  form.append('vendor_data', 'user-42')
  form.append('front_image', new Blob([new Uint8Array(front)], { type: 'image/png' }), 'front.png')
  const request = new Request('http://127.0.0.1/', { method: 'POST', body: form })
  const body = Buffer.from(await request.arrayBuffer())
  const contentType = String(request.headers.get('content-type'))
  return {
    contentType,
    request: {
      method: 'POST',
      headers: { 'content-type': contentType, 'idempotency-key': 'upload-1', 'x-api-key': E2E_API_KEY },
      body
    }
  }
}

t.test('a retried upload with a new boundary is replayed; another file under the key is 422', async (t) => {
  const didit = await startUpstream(t)
  didit.script({ path: PATH }, { status: 200, body: { request_id: 'idv-1' } })
  didit.script({ path: PATH }, { status: 500, body: { detail: 'an unexpected upstream call' } }, { repeat: true })
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    retry: { backoff: FAST_BACKOFF },
    routes: [{ name: 'id-verification', method: 'POST', path: PATH }]
  })
  const send = client(t)

  const original = await upload(FRONT)
  const first = await send(`${sidecar.url}${PATH}`, original.request)
  t.equal(first.status, 200)
  t.same(didit.requests[0]?.body, original.request.body, 'upstream got the bytes the client sent')
  await metricsAfter(sidecar, 1)

  const retry = await upload(FRONT)
  t.not(retry.contentType, original.contentType, 'the retry has another boundary')
  const again = await send(`${sidecar.url}${PATH}`, retry.request)
  t.equal(again.status, 200, 'not 422')
  t.ok(replayed(again), 'replayed')
  t.same(again.body, first.body, "Didit's first answer")
  t.equal(didit.count(), 1, 'upstream called once')

  const otherFile = await upload(Buffer.concat([FRONT, Buffer.from([0x01])]))
  const other = await send(`${sidecar.url}${PATH}`, otherFile.request)
  assertProblem(t, other, 422, 'idempotency_mismatch', 'another file under the same key')
  t.equal(didit.count(), 1, 'still one upstream call')

  const metrics = await metricsAfter(sidecar, 3)
  t.equal(idempotencyCount(metrics, 'new', 'id-verification'), 1)
  t.equal(idempotencyCount(metrics, 'replayed', 'id-verification'), 1)
  t.equal(idempotencyCount(metrics, 'mismatch', 'id-verification'), 1)
})
