// Which answers are retried: 429 and 503 (not processed) for every method; 500, 502, 504 and other
// 5xx (perhaps processed) only for idempotent requests; and any of them only when listed in `on`.
import t from 'tap'
import { client } from '../helpers/client.js'
import { startSidecar } from '../helpers/sidecar.js'
import { FAST_BACKOFF, startUpstream } from './harness.js'

const config = (url: string, on?: Array<string | number>) => ({
  upstream: { url },
  retry: { maxAttempts: 3, backoff: FAST_BACKOFF, ...(on === undefined ? {} : { on }) },
  routes: [{ name: 'otp-send', method: 'POST', path: '/v3/email/send/', retry: { idempotent: true } }]
})

interface Case {
  method: string
  path?: string
  status: number
  on?: Array<string | number>
  /** Attempts expected when every answer is `status`. */
  attempts: number
}

const CASES: Record<string, Case> = {
  'POST 429 (not processed)': { method: 'POST', status: 429, attempts: 3 },
  'POST 503 (not processed)': { method: 'POST', status: 503, attempts: 3 },
  'POST 502 (ambiguous, not idempotent)': { method: 'POST', status: 502, attempts: 1 },
  'POST 504 (ambiguous, not idempotent)': { method: 'POST', status: 504, attempts: 1 },
  'POST 502 on a route with idempotent: true': { method: 'POST', path: '/v3/email/send/', status: 502, attempts: 3 },
  'GET 502 (idempotent)': { method: 'GET', status: 502, attempts: 3 },
  'PUT 504 (idempotent)': { method: 'PUT', status: 504, attempts: 3 },
  'DELETE 502 (idempotent)': { method: 'DELETE', status: 502, attempts: 3 },
  'GET 500 (not in the default `on`)': { method: 'GET', status: 500, attempts: 1 },
  'GET 500 with 500 in `on`': { method: 'GET', status: 500, on: [500], attempts: 3 },
  'POST 503 with `on: [429]`': { method: 'POST', status: 503, on: [429], attempts: 1 },
  'GET 502 with `on: [503]`': { method: 'GET', status: 502, on: [503], attempts: 1 }
}

for (const [what, c] of Object.entries(CASES)) {
  t.test(`${what} → ${c.attempts} attempt(s), the last answer unchanged`, async (t) => {
    const didit = await startUpstream(t)
    const path = c.path ?? '/v3/thing/'
    didit.script(
      { path },
      { status: c.status, headers: { 'x-didit-trace': 't' }, body: `status ${c.status}` },
      { repeat: true }
    )
    const sidecar = await startSidecar(t, config(didit.url, c.on))
    const send = client(t)
    const response = await send(`${sidecar.url}${path}`, {
      method: c.method,
      ...(c.method === 'POST' || c.method === 'PUT' ? { body: '{"a":1}' } : {})
    })
    t.equal(didit.count(), c.attempts, 'attempts upstream')
    t.equal(response.headers['x-sidecar-attempts'], String(c.attempts))
    t.equal(response.status, c.status)
    t.equal(response.body.toString(), `status ${c.status}`)
    t.equal(response.headers['x-didit-trace'], 't')
  })
}
