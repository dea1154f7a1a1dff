// A client that times out and retries with the same key — the first motivating case: the
// client gives up while Didit is still working, Didit then answers, and the client's retry must be
// answered from that answer instead of starting a second (billed) verification. What the sidecar
// stores must not depend on whether the client was still there to read it.
import { request as httpRequest } from 'node:http'
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import {
  E2E_API_KEY,
  FAST_BACKOFF,
  metricsAfter,
  post,
  replayed,
  STORE_TYPES,
  startUpstream,
  until,
  useStore
} from './harness.js'

const PATH = '/v3/aml/'
const BODY = '{"full_name":"A"}'
// Both well under maxResponseBody (1MiB); the larger does not fit in the socket buffers at once.
const SIZES = { small: 1024, large: 256 * 1024 }

/** Sends a keyed POST and abandons it (a client-side timeout) once upstream has it. */
function abandoned(url: string, key: string) {
  const req = httpRequest(`${url}${PATH}`, {
    method: 'POST',
    headers: { 'idempotency-key': key, 'content-type': 'application/json', 'x-api-key': E2E_API_KEY }
  })
  req.on('error', () => {})
  req.end(BODY)
  return () => req.destroy()
}

for (const type of STORE_TYPES) {
  for (const [size, bytes] of Object.entries(SIZES)) {
    t.test(`${type}: the client gives up, Didit answers (${size}), the retry is a replay`, async (t) => {
      const store = await useStore(t, type)
      if (store === null) return
      const didit = await startUpstream(t)
      const answer = { request_id: 'r-1', padding: 'x'.repeat(bytes) }
      didit.script({ path: PATH }, { status: 200, delayMs: 300, body: answer })
      didit.script({ path: PATH }, { status: 500, body: { detail: 'a second upstream call' } }, { repeat: true })
      const sidecar = await startSidecar(t, {
        upstream: { url: didit.url },
        idempotency: { store: store.config },
        retry: { backoff: FAST_BACKOFF }
      })

      const giveUp = abandoned(sidecar.url, 'timeout-key')
      await until(() => didit.count() === 1, 'the request upstream')
      giveUp()
      // The original's response event: upstream has answered and the sidecar is done with it.
      await metricsAfter(sidecar, 1)

      const retry = await client(t)(`${sidecar.url}${PATH}`, post('timeout-key', BODY))
      t.equal(didit.count(), 1, 'no second upstream call')
      t.equal(retry.status, 200)
      t.ok(replayed(retry), "the retry is answered from Didit's first answer")
      t.same(JSON.parse(retry.body.toString()), answer, 'all of it')
    })
  }
}
