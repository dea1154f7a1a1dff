// The global budget for buffered request bodies (listen.maxBufferedTotal): concurrent uploads to
// a slow upstream are buffered while the budget has room and streamed once beyond it (not
// retried, counted as retries_skipped_total{reason="buffer_budget"}), and every request gives
// its share back when it ends, whether answered, refused or abandoned by its client.
import { once } from 'node:events'
import { connect } from 'node:net'
import t from 'tap'
import { startFakeDidit } from '../../src/dev/fake-didit.js'
import { client } from '../helpers/client.js'
import { sample, startSidecar } from '../helpers/sidecar.js'

const BUDGET = 256 * 1024
const BODY = 40 * 1024
const UPLOADS = 12

async function until(condition: () => boolean, what: string) {
  const give = Date.now() + 5000
  while (!condition()) {
    if (Date.now() > give) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

t.test('bodies beyond the budget are streamed once, and the budget comes back', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  didit.script({ path: '/v3/upload/' }, { status: 503, delayMs: 300, body: { busy: true } }, { repeat: true })
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    listen: { maxBufferedTotal: BUDGET, bodyLimit: '1MiB' },
    retry: {
      maxAttempts: 2,
      on: [503],
      backoff: { base: '10ms', max: '10ms' },
      budget: { ratio: 10, minPerSecond: 1000 }
    }
  })
  const budget = sidecar.app.bufferBudget
  const send = client(t)
  let peak = 0
  const watch = setInterval(() => {
    peak = Math.max(peak, budget.used)
  }, 5)
  t.teardown(() => clearInterval(watch))

  const answers = await Promise.all(
    Array.from({ length: UPLOADS }, (_, i) =>
      send(`${sidecar.url}/v3/upload/`, { method: 'POST', body: Buffer.alloc(BODY, i) })
    )
  )
  t.same(new Set(answers.map((a) => a.status)), new Set([503]), 'every upload got the upstream answer')
  const attempts = answers.map((a) => Number(a.headers['x-sidecar-attempts']))
  const retried = attempts.filter((n) => n === 2).length
  const streamed = attempts.filter((n) => n === 1).length
  t.equal(retried + streamed, UPLOADS, 'each upload was either retried or sent once')
  t.ok(retried <= Math.floor(BUDGET / BODY), `no more retried than the budget holds (${retried})`)
  t.ok(streamed >= UPLOADS - Math.floor(BUDGET / BODY), `the others were streamed once (${streamed})`)
  t.ok(peak <= BUDGET, `the budget was never exceeded (peak ${peak})`)
  t.equal(didit.count({ path: '/v3/upload/' }), 2 * retried + streamed, 'upstream saw exactly those attempts')
  const metrics = await sidecar.metrics()
  t.equal(sample(metrics, 'didit_sidecar_retries_skipped_total', { reason: 'buffer_budget' }), streamed, 'counted')
  t.equal(sample(metrics, 'didit_sidecar_retries_skipped_total', { reason: 'body_too_large' }), 0)
  await until(() => budget.used === 0, 'the budget to come back after answers')
  t.equal(budget.used, 0, 'answered: every share given back')

  // Refused past bodyLimit after part of the body was reserved.
  const refused = await send(`${sidecar.url}/v3/upload/`, { method: 'POST', body: Buffer.alloc(2 * 1024 * 1024) })
  t.equal(refused.status, 413)
  await until(() => budget.used === 0, 'the budget to come back after a refusal')

  // A client that leaves while its buffered body waits on the slow upstream.
  const controller = new AbortController()
  const leaving = send(`${sidecar.url}/v3/upload/`, {
    method: 'POST',
    body: Buffer.alloc(BODY),
    signal: controller.signal
  }).catch(() => 'aborted')
  const before = didit.count({ path: '/v3/upload/' })
  await until(() => didit.count({ path: '/v3/upload/' }) > before, 'the upload upstream')
  t.ok(budget.used >= BODY, 'its body is held while it is in flight')
  controller.abort()
  t.equal(await leaving, 'aborted')
  await until(() => budget.used === 0, 'the budget to come back after the client left')
  t.equal(budget.used, 0, 'client gone: its share given back')
})

t.test('a client that leaves halfway through its body gives its share back', async (t) => {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  const sidecar = await startSidecar(t, {
    upstream: { url: didit.url },
    listen: { maxBufferedTotal: BUDGET, bodyLimit: '1MiB' }
  })
  const budget = sidecar.app.bufferBudget
  const { hostname, port } = new URL(sidecar.url)
  const socket = connect({ host: hostname, port: Number(port) })
  t.teardown(() => socket.destroy())
  await once(socket, 'connect')
  socket.write(`POST /v3/upload/ HTTP/1.1\r\nhost: x\r\ncontent-length: ${BODY}\r\n\r\n`)
  socket.write(Buffer.alloc(BODY / 2))
  await until(() => budget.used > 0, 'part of the body to be reserved')
  socket.destroy()
  await until(() => budget.used === 0, 'the budget to come back after the client left mid-body')
  t.equal(budget.used, 0, 'its share given back')
  t.equal(didit.count({ path: '/v3/upload/' }), 0, 'nothing was sent upstream')
})
