// The fake Didit under a fault plan: side effects counted per logical request, resets before and
// after the request is read, stalled bodies, and the listener going away and coming back.
import t, { type Test } from 'tap'
import { Agent, request } from 'undici'
import { type FakeDidit, type FakeDiditOptions, type FaultKind, startFakeDidit } from '../../src/dev/fake-didit.js'

async function start(t: Pick<Test, 'teardown'>, options: FakeDiditOptions): Promise<FakeDidit> {
  const fake = await startFakeDidit(options)
  t.teardown(() => fake.close())
  return fake
}

/** The fault of each request is named by its x-fault header: a plan that tests can read. */
const byHeader = {
  ratio: 0,
  slowMs: 50,
  retryAfterS: 0,
  choose: ({ headers }: { headers: Record<string, unknown> }) => headers['x-fault'] as FaultKind | undefined
}

function post(fake: FakeDidit, id: string, fault?: FaultKind, path = '/v3/aml/', body: object = { full_name: 'J' }) {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-logical-id': id }
  if (fault !== undefined) headers['x-fault'] = fault
  return request(`${fake.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })
}

t.test('a side effect per processed write; refusals and resets before the read have none', async (t) => {
  const fake = await start(t, { faults: byHeader, effectHeader: 'x-logical-id' })
  t.equal((await post(fake, 'a')).statusCode, 200)
  await (await post(fake, 'a')).body.dump()
  const refused = await post(fake, 'b', '503')
  t.equal(refused.statusCode, 503)
  await refused.body.dump()
  const limited = await post(fake, 'c', '429')
  t.equal(limited.headers['retry-after'], '0', 'retryAfterS')
  await limited.body.dump()
  await t.rejects(post(fake, 'd', 'reset-before-read'), { code: 'ECONNRESET' })
  await t.rejects(post(fake, 'e', 'reset-after-read'), { code: 'ECONNRESET' })
  const slow = await post(fake, 'f', 'slow')
  t.equal(slow.statusCode, 200)
  await slow.body.dump()
  t.same(
    fake.effects.map((e) => e.id),
    ['a', 'a', 'e', 'f'],
    'processed twice, reset after processing, slow'
  )
  t.equal(fake.arrivals(), 7, 'every head that arrived')
  t.equal(fake.count(), 6, 'a request reset before its body was read is not recorded')
})

t.test('a session create that reuses the vendor_data session is not a new effect', async (t) => {
  const fake = await start(t, { faults: byHeader, effectHeader: 'x-logical-id' })
  const body = { workflow_id: 'w', vendor_data: 'user-1' }
  for (let i = 0; i < 2; i++) await (await post(fake, 's', undefined, '/v3/session/', body)).body.dump()
  await (await request(`${fake.url}/v3/sessions/`, { headers: { 'x-logical-id': 'g' } })).body.dump()
  t.same(
    fake.effects.map((e) => [e.id, e.path]),
    [['s', '/v3/session/']]
  )
})

t.test('a stalled body: the head and half of the body, then nothing until the client leaves', async (t) => {
  const fake = await start(t, { faults: byHeader, effectHeader: 'x-logical-id' })
  const res = await post(fake, 'x', 'stall')
  t.equal(res.statusCode, 200)
  const length = Number(res.headers['content-length'])
  let received = 0
  const reading = (async () => {
    for await (const chunk of res.body) received += (chunk as Buffer).length
  })()
  const outcome = await Promise.race([reading.then(() => 'ended'), sleep(200).then(() => 'stalled')])
  t.equal(outcome, 'stalled')
  t.ok(received > 0 && received < length, `${received} of ${length} bytes`)
  t.equal(fake.effects.length, 1, 'processed')
  res.body.destroy()
  await reading.catch(() => undefined)
})

t.test('the listener goes away (connections reset, new ones refused) and comes back on its port', async (t) => {
  const fake = await start(t, { faults: byHeader, effectHeader: 'x-logical-id' })
  const agent = new Agent({ keepAliveTimeout: 10_000 })
  t.teardown(() => agent.close())
  const get = () => request(`${fake.url}/v3/sessions/`, { dispatcher: agent })
  await (await get()).body.dump()
  const hanging = post(fake, 'h', 'stall')
  const stalled = await hanging
  const { idleCut } = await fake.down()
  t.equal(idleCut, 1, 'the idle keep-alive connection; the stalled one was busy')
  await t.rejects(stalled.body.text(), 'the stalled response is cut')
  await t.rejects(get(), { code: 'ECONNREFUSED' })
  await fake.up()
  const again = await get()
  t.equal(again.statusCode, 200)
  await again.body.dump()
})

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
