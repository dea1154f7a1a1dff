import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import t, { type Test } from 'tap'
import { Agent, request } from 'undici'
import { type FakeDidit, type FakeDiditOptions, startFakeDidit } from '../../src/dev/fake-didit.js'
import { selfSignedCertificate } from '../helpers/tls.js'

async function start(t: Pick<Test, 'teardown'>, options?: FakeDiditOptions): Promise<FakeDidit> {
  const fake = await startFakeDidit(options)
  t.teardown(() => fake.close())
  return fake
}

function multipart(files: Record<string, Buffer>, fields: Record<string, string> = {}) {
  const boundary = '----fake-didit-test-boundary'
  const parts: Buffer[] = []
  for (const [name, value] of Object.entries(fields))
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`))
  for (const [name, data] of Object.entries(files)) {
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.jpg"\r\n`
    parts.push(Buffer.from(`${head}Content-Type: image/jpeg\r\n\r\n`), data, Buffer.from('\r\n'))
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`))
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` }
}

const json = { 'content-type': 'application/json' }
const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: json, body: JSON.stringify(body) })

t.test('records method, target, repeated headers and a multi-MB body', async (t) => {
  const fake = await start(t)
  const target = '/v3/sessions/?limit=1&q=a%2Fb+c&q=d'
  const res = await request(`${fake.url}${target}`, { headers: ['x-trace', 'one', 'x-trace', 'two'] })
  await res.body.dump()
  t.equal(res.statusCode, 200)

  const image = Buffer.alloc(3 * 1024 * 1024, 7)
  const form = multipart({ front_image: image }, { vendor_data: 'user-1' })
  const upload = await request(`${fake.url}/v3/id-verification/`, {
    method: 'POST',
    headers: { 'content-type': form.contentType },
    body: form.body
  })
  const answer = (await upload.body.json()) as { id_verification: { status: string }; vendor_data: string }
  t.equal(upload.statusCode, 200)
  t.equal(answer.id_verification.status, 'Approved')
  t.equal(answer.vendor_data, 'user-1')

  const [get, sent] = fake.requests
  t.equal(get?.method, 'GET')
  t.equal(get?.url, target)
  t.same(
    get?.rawHeaders.filter((_, i, all) => all[i - 1]?.toLowerCase() === 'x-trace'),
    ['one', 'two']
  )
  t.equal(sent?.method, 'POST')
  t.equal(sent?.body.length, form.body.length)
  t.equal(sent?.sha256, createHash('sha256').update(form.body).digest('hex'))
  t.ok((sent?.receivedAt ?? 0) <= Date.now())
  t.equal(fake.count({ method: 'post', path: /^\/v3\/id-/ }), 1)
  t.equal(fake.count(), 2)
  fake.reset()
  t.equal(fake.requests.length, 0)
})

t.test('a scripted status carries its headers and JSON body', async (t) => {
  const fake = await start(t)
  fake.script(
    { method: 'POST', path: '/v3/aml/' },
    { status: 429, headers: { 'retry-after': '2' }, body: { detail: 'slow down' } }
  )
  const res = await post(`${fake.url}/v3/aml/`, { full_name: 'A' })
  t.equal(res.status, 429)
  t.equal(res.headers.get('retry-after'), '2')
  t.equal(res.headers.get('content-type'), 'application/json')
  t.same(await res.json(), { detail: 'slow down' })
  t.equal(fake.count({ path: '/v3/aml/' }), 1, 'scripted requests are recorded too')
})

t.test('a scripted delay holds the response head', async (t) => {
  const fake = await start(t)
  fake.script({ path: '/slow' }, { delayMs: 120, body: 'late' })
  const began = Date.now()
  const res = await fetch(`${fake.url}/slow`)
  t.ok(Date.now() - began >= 110, 'waited')
  t.equal(await res.text(), 'late')
})

t.test('a chunked answer has no content-length and arrives whole', async (t) => {
  const fake = await start(t)
  const body = Buffer.alloc(200_000, 'x')
  fake.script({ path: '/big' }, { chunked: true, body })
  const res = await request(`${fake.url}/big`)
  t.equal(res.headers['transfer-encoding'], 'chunked')
  t.notOk(res.headers['content-length'])
  t.same(Buffer.from(await res.body.arrayBuffer()), body)
})

t.test('reset answers nothing: the client sees a socket error after sending', async (t) => {
  const fake = await start(t)
  fake.script({ path: '/v3/aml/' }, { action: 'reset' })
  const sent = request(`${fake.url}/v3/aml/`, { method: 'POST', headers: json, body: '{"full_name":"A"}' })
  await t.rejects(sent, { code: 'ECONNRESET' })
  t.equal(fake.requests[0]?.body.toString(), '{"full_name":"A"}', 'the body was read first')
})

t.test('hang never answers, and close() still returns promptly', async (t) => {
  const fake = await startFakeDidit()
  fake.script({ path: '/hang' }, { action: 'hang' })
  await t.rejects(fetch(`${fake.url}/hang`, { signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' })
  // A second hanging request is still open when close() is called.
  fake.script({ path: '/hang' }, { action: 'hang' })
  const pending = request(`${fake.url}/hang`).catch((error: unknown) => error)
  await new Promise((resolve) => setTimeout(resolve, 20))
  const began = Date.now()
  await fake.close()
  t.ok(Date.now() - began < 200, 'closed promptly')
  t.type(await pending, Error)
})

t.test('a delay is cut short by close()', async (t) => {
  const fake = await startFakeDidit()
  fake.script({}, { delayMs: 10_000 })
  const pending = request(fake.url).catch((error: unknown) => error)
  await new Promise((resolve) => setTimeout(resolve, 20))
  const began = Date.now()
  await fake.close()
  t.ok(Date.now() - began < 200)
  t.type(await pending, Error)
})

t.test('reset-mid-body and close-after-head fail the body read', async (t) => {
  const fake = await start(t)
  const body = Buffer.alloc(256 * 1024, 'p')
  fake.script({ path: '/cut' }, [
    { action: 'reset-mid-body', headers: { 'content-type': 'application/pdf' }, body },
    { action: 'reset-mid-body', chunked: true, body },
    { action: 'close-after-head', body },
    { action: 'close-after-head' }
  ])
  for (let i = 0; i < 4; i++) {
    const res = await request(`${fake.url}/cut`)
    t.equal(res.statusCode, 200, `head ${i} arrives`)
    await t.rejects(res.body.arrayBuffer(), `body ${i} fails`)
  }
})

t.test('scripts are used in order, then the default or the repeated last answer', async (t) => {
  const fake = await start(t)
  fake.script({ method: 'GET', path: '/v3/sessions/' }, [{ status: 503 }, { status: 502 }])
  fake.script({ path: /^\/v3\/session\/[^/]+\/decision\/$/ }, { status: 500 }, { repeat: true })
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await fetch(`${fake.url}/v3/sessions/`)).status)
  t.same(statuses, [503, 502, 200])
  for (let i = 0; i < 3; i++) t.equal((await fetch(`${fake.url}/v3/session/x/decision/`)).status, 500)
  t.equal(fake.count({ path: /decision/ }), 3)
  fake.reset()
  t.equal((await fetch(`${fake.url}/v3/session/x/decision/`)).status, 404, 'reset forgets scripts')
  t.throws(() => fake.script({}, []), RangeError)
})

t.test('sessions: create, dedup by vendor_data, decision, status, pdf, list, delete', async (t) => {
  const fake = await start(t)
  const create = (vendor: string) => post(`${fake.url}/v3/session/`, { workflow_id: 'wf-1', vendor_data: vendor })
  const first = await create('user-1')
  t.equal(first.status, 201)
  const session = (await first.json()) as Record<string, unknown>
  t.match(session, {
    session_id: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    session_number: Number,
    session_token: String,
    url: /^https:\/\//,
    status: 'Not Started',
    workflow_id: 'wf-1',
    vendor_data: 'user-1'
  })
  t.has(session, { metadata: null, callback: null })
  const again = await create('user-1')
  t.equal(again.status, 201)
  t.equal(((await again.json()) as { session_id: string }).session_id, session.session_id, 'same unfinished session')
  const other = (await (await create('user-2')).json()) as { session_id: string }
  t.not(other.session_id, session.session_id)
  t.equal((await post(`${fake.url}/v3/session/`, { vendor_data: 'x' })).status, 400, 'workflow_id is required')

  const base = `${fake.url}/v3/session/${session.session_id}`
  const decision = await fetch(`${base}/decision/`)
  t.equal(decision.status, 200)
  t.match(await decision.json(), { session_id: session.session_id, status: 'Not Started', features: Array })

  const patch = (status: string) =>
    fetch(`${base}/update-status/`, { method: 'PATCH', headers: json, body: JSON.stringify({ new_status: status }) })
  const patched = await patch('Approved')
  t.equal(patched.status, 200)
  t.same(await patched.json(), { session_id: session.session_id })
  const same = await patch('Approved')
  t.equal(same.status, 400)
  t.ok(Array.isArray(await same.json()), 'a repeated status answers a bare array')
  const approved = (await (await fetch(`${base}/decision/`)).json()) as { status: string; id_verifications: unknown[] }
  t.equal(approved.status, 'Approved')
  t.equal(approved.id_verifications.length, 1)
  const fresh = (await (await create('user-1')).json()) as { session_id: string }
  t.not(fresh.session_id, session.session_id, 'a finished session is not reused')

  const pdf = await fetch(`${base}/generate-pdf/`)
  t.equal(pdf.headers.get('content-type'), 'application/pdf')
  t.match(
    Buffer.from(await pdf.arrayBuffer())
      .subarray(0, 5)
      .toString(),
    '%PDF-'
  )

  const list = (await (await fetch(`${fake.url}/v3/sessions/?limit=2`)).json()) as Record<string, unknown>
  t.match(list, { count: 3, previous: null, next: /offset=2$/, results: [{ session_id: fresh.session_id }, {}] })

  t.equal((await fetch(`${base}/delete/`, { method: 'DELETE' })).status, 204)
  const gone = await fetch(`${base}/delete/`, { method: 'DELETE' })
  t.equal(gone.status, 404)
  t.same(await gone.json(), { detail: 'Not found.' })
  const unknown = await fetch(`${fake.url}/v3/session/00000000-0000-4000-8000-000000000000/decision/`)
  t.equal(unknown.status, 404)
  t.same(await unknown.json(), { detail: 'Not found.' })
})

t.test('generate-pdf?size=N streams exactly N bytes, chunked', async (t) => {
  const fake = await start(t)
  const { session_id } = (await (await post(`${fake.url}/v3/session/`, { workflow_id: 'wf' })).json()) as {
    session_id: string
  }
  const size = 5 * 1024 * 1024 + 3
  const res = await request(`${fake.url}/v3/session/${session_id}/generate-pdf/?size=${size}`)
  t.equal(res.headers['transfer-encoding'], 'chunked')
  t.notOk(res.headers['content-length'])
  const body = Buffer.from(await res.body.arrayBuffer())
  t.equal(body.length, size)
  t.equal(body.subarray(0, 5).toString(), '%PDF-')
  t.equal(body.subarray(-6).toString(), '%%EOF\n')
})

t.test('standalone endpoints answer 200 with request_id and their feature', async (t) => {
  const fake = await start(t)
  const aml = await post(`${fake.url}/v3/aml/`, { full_name: 'Ada Lovelace', vendor_data: 'v' })
  t.equal(aml.status, 200)
  t.equal(aml.headers.get('content-type'), 'application/json')
  t.match(await aml.json(), {
    request_id: String,
    aml: { status: 'Approved', total_hits: 0, hits: [], warnings: [] },
    vendor_data: 'v',
    created_at: String
  })
  const first = (await (await post(`${fake.url}/v3/email/send/`, { email: 'a@example.com' })).json()) as {
    request_id: string
    status: string
  }
  const second = (await (await post(`${fake.url}/v3/email/send/`, { email: 'a@example.com' })).json()) as {
    request_id: string
    status: string
  }
  t.same([first.status, second.status], ['Success', 'Retry'])
  t.equal(second.request_id, first.request_id, 'a resend keeps the request_id')
  const check = await post(`${fake.url}/v3/email/check/`, { email: 'a@example.com', code: '123456' })
  t.match(await check.json(), { status: 'Approved' })
  const bad = await fetch(`${fake.url}/v3/aml/`, { method: 'POST', headers: json, body: '{nope' })
  t.equal(bad.status, 400)
  t.match(await bad.json(), { detail: /JSON parse error/ })
})

t.test('multipart endpoints check the content type and the size of each file', async (t) => {
  const fake = await start(t)
  const send = (form: { body: Buffer; contentType: string }, path = '/v3/id-verification/') =>
    fetch(`${fake.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': form.contentType },
      body: new Uint8Array(form.body)
    })
  const tooLarge = await send(multipart({ front_image: Buffer.alloc(11 * 1024 * 1024) }))
  t.equal(tooLarge.status, 400)
  t.match(await tooLarge.json(), { front_image: [/^File too large/] })
  const asJson = await post(`${fake.url}/v3/id-verification/`, { front_image: 'aGVsbG8=' })
  t.equal(asJson.status, 400)
  t.match(await asJson.json(), { detail: /multipart\/form-data/ })
  const missing = await send(multipart({ user_image: Buffer.alloc(10) }), '/v3/face-match/')
  t.match(await missing.json(), { ref_image: ['No file was submitted.'] })
  const match = await send(multipart({ user_image: Buffer.alloc(10), ref_image: Buffer.alloc(10) }), '/v3/face-match/')
  t.match(await match.json(), { face_match: { status: 'Approved' } })
  const poa = await send(multipart({ document: Buffer.alloc(12 * 1024 * 1024) }), '/v3/poa/')
  t.equal(poa.status, 200, 'poa allows 15 MB')
})

t.test('unknown paths are 404, known paths with another method 405', async (t) => {
  const fake = await start(t)
  const unknown = await fetch(`${fake.url}/v2/nothing/`)
  t.equal(unknown.status, 404)
  t.same(await unknown.json(), { detail: 'Not found.' })
  const wrong = await fetch(`${fake.url}/v3/aml/`)
  t.equal(wrong.status, 405)
  t.equal(wrong.headers.get('allow'), 'POST')
})

t.test('with apiKey set, a missing or wrong x-api-key gets 403', async (t) => {
  const fake = await start(t, { apiKey: 'k-123' })
  for (const headers of [{}, { 'x-api-key': 'wrong' }] as Record<string, string>[]) {
    const res = await fetch(`${fake.url}/v3/sessions/`, { headers })
    t.equal(res.status, 403)
    t.same(await res.json(), { detail: 'You do not have permission to perform this action.' })
  }
  t.equal((await fetch(`${fake.url}/v3/sessions/`, { headers: { 'x-api-key': 'k-123' } })).status, 200)
  t.equal(fake.count(), 3, '403s are recorded')
})

t.test('faults follow the injected random source', async (t) => {
  // Each request draws once for "fault or not" and, when faulted, once more for which fault; the mix
  // is laid out in the order 503, 429, 500, 502, reset, slow, so with weights 2:1:1 the draw picks
  // 503 below 0.5, 429 below 0.75 and reset above.
  const draws = [0.9, 0.1, 0.0, 0.1, 0.6, 0.1, 0.99]
  const random = () => draws.shift() ?? 0.9
  const fake = await start(t, { faults: { ratio: 0.5, mix: { '503': 2, '429': 1, reset: 1 } }, random })
  const url = `${fake.url}/v3/sessions/`
  t.equal((await fetch(url)).status, 200, 'no fault')
  t.equal((await fetch(url)).status, 503)
  const limited = await fetch(url)
  t.equal(limited.status, 429)
  t.equal(limited.headers.get('retry-after'), '1')
  t.equal(limited.headers.get('x-ratelimit-limit'), '600', 'the read limit for a GET')
  t.match(await limited.json(), { detail: /^Read request rate limit exceeded/ })
  await t.rejects(fetch(url), 'reset')
  t.equal((await fetch(url)).status, 200, 'no fault once the draws are high again')
  t.equal(fake.count(), 5)
})

t.test('a slow fault delays the normal answer', async (t) => {
  const fake = await start(t, { faults: { ratio: 1, mix: { slow: 1 }, slowMs: 80 } })
  const began = Date.now()
  const res = await fetch(`${fake.url}/v3/sessions/`)
  t.ok(Date.now() - began >= 70)
  t.equal(res.status, 200)
  await t.rejects(startFakeDidit({ faults: { ratio: 2 } }), RangeError)
  await t.rejects(startFakeDidit({ faults: { ratio: 0.1, mix: { '503': 0 } } }), RangeError)
})

t.test('non-loopback hosts are refused', async (t) => {
  for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com'])
    await t.rejects(startFakeDidit({ host }), RangeError, host)
  const v6 = await startFakeDidit({ host: '::1' }).catch(() => undefined)
  if (v6 !== undefined) {
    t.teardown(() => v6.close())
    t.match(v6.url, /^http:\/\/\[::1\]:\d+$/)
  }
})

t.test('serves HTTPS with a self-signed certificate', async (t) => {
  const made = await selfSignedCertificate()
  if ('missing' in made) {
    t.comment(`${made.missing}; skipping the HTTPS test`)
    return
  }
  const tls = { key: made.key, cert: made.cert }
  const fake = await start(t, { tls })
  t.match(fake.url, /^https:\/\/127\.0\.0\.1:\d+$/)
  const dispatcher = new Agent({ connect: { ca: tls.cert } })
  t.teardown(() => dispatcher.close())
  const res = await request(`${fake.url}/v3/sessions/`, { dispatcher })
  t.equal(res.statusCode, 200)
  t.match(await res.body.json(), { count: 0, results: [] })
  await t.rejects(request(`${fake.url}/v3/sessions/`), 'untrusted without the CA')
  fake.script({ path: '/v3/aml/' }, { action: 'reset' })
  await t.rejects(request(`${fake.url}/v3/aml/`, { method: 'POST', body: '{}', dispatcher }), { code: 'ECONNRESET' })
})

t.test('the CLI prints its URL and closes on SIGTERM', async (t) => {
  const cli = new URL('../../src/dev/fake-didit-main.ts', import.meta.url)
  const child = spawn(process.execPath, [...process.execArgv, cli.pathname, '--port', '0', '--faults', '0'], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => child.kill('SIGKILL'))
  const lines = createInterface({ input: child.stdout })
  t.teardown(() => lines.close())
  const [url] = (await once(lines, 'line')) as [string]
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal((await fetch(`${url}/v3/sessions/`)).status, 200)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  t.equal(await exited, 0)
})
