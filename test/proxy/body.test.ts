// Reading a request body of declared length (issue 9): copied into one buffer as it arrives, so
// the chunks are not all held until the end (a 10 MiB upload held twice: chunk list + concat).
// The bytes, the limits and the fallbacks are those of the general path.
import { Readable } from 'node:stream'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t from 'tap'
import { SidecarError } from '../../src/errors.js'
import { readBody } from '../../src/proxy/body.js'
import { BufferBudget } from '../../src/proxy/buffer-budget.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const CHUNK = 64 * 1024
const MiB = 1024 * 1024
/** The limits of one request, with its own lease of a roomy global buffer budget. */
const limitsOf = (overrides: { maxBuffered?: number; bodyLimit?: number } = {}) => ({
  maxBuffered: 32 * MiB,
  bodyLimit: 32 * MiB,
  lease: new BufferBudget(256 * MiB).lease(),
  ...overrides
})

/** A client body of `count` chunks; `declared` becomes its content-length header when given. */
function body(chunks: Iterable<Buffer> | AsyncIterable<Buffer>, declared?: number) {
  const stream = Readable.from(chunks, { objectMode: false, highWaterMark: 1 })
  return Object.assign(stream, { headers: declared === undefined ? {} : { 'content-length': String(declared) } })
}

const chunkOf = (i: number) => Buffer.alloc(CHUNK, i % 251)
const expected = (count: number) => Buffer.concat(Array.from({ length: count }, (_, i) => chunkOf(i)))

t.test('a body of declared length does not keep its chunks while it is read', async (t) => {
  const count = 40
  const refs: WeakRef<Buffer>[] = []
  let alive = -1
  async function* chunks() {
    for (let i = 0; i < count; i++) {
      const chunk = chunkOf(i)
      refs.push(new WeakRef(chunk))
      yield chunk
    }
    // Every chunk has been handed over; the reader still holds whatever it kept.
    await new Promise((resolve) => setImmediate(resolve))
    gc()
    alive = refs.filter((ref) => ref.deref() !== undefined).length
  }
  const result = await readBody(body(chunks(), count * CHUNK), limitsOf())
  t.equal(result.kind, 'buffered')
  t.ok(result.kind === 'buffered' && result.bytes.equals(expected(count)), 'the same bytes')
  // The general path keeps all 40 until Buffer.concat; a few may sit in the stream's own buffer.
  t.ok(alive >= 0 && alive <= 4, `${alive} chunks still held`)
})

t.test('the same bytes with and without a declared length, in one chunk or many', async (t) => {
  for (const count of [1, 3]) {
    for (const declared of [count * CHUNK, undefined]) {
      const result = await readBody(
        body(
          Array.from({ length: count }, (_, i) => chunkOf(i)),
          declared
        ),
        limitsOf()
      )
      t.ok(result.kind === 'buffered' && result.bytes.equals(expected(count)), `${count} chunks, ${declared}`)
    }
  }
})

t.test('a declared length over maxBuffered streams the body as before', async (t) => {
  const limits = limitsOf({ maxBuffered: CHUNK })
  const result = await readBody(body([chunkOf(0), chunkOf(1), chunkOf(2)], 3 * CHUNK), limits)
  t.equal(result.kind, 'streamed')
  if (result.kind !== 'streamed') return
  const read: Buffer[] = []
  for await (const chunk of result.stream) read.push(chunk as Buffer)
  t.ok(Buffer.concat(read).equals(expected(3)))
})

t.test('more bytes than declared fall back to the general path with its limits', async (t) => {
  const more = await readBody(body([chunkOf(0), chunkOf(1)], CHUNK), limitsOf())
  t.ok(more.kind === 'buffered' && more.bytes.equals(expected(2)), 'all the bytes are kept')
  const limits = limitsOf({ bodyLimit: CHUNK + 10 })
  await t.rejects(readBody(body([chunkOf(0), chunkOf(1)], CHUNK), limits), new SidecarError('request_too_large'))
})

t.test('a client that stops mid-body is client_aborted', async (t) => {
  async function* broken() {
    yield chunkOf(0)
    throw new Error('socket hang up')
  }
  await t.rejects(readBody(body(broken(), 4 * CHUNK), limitsOf()), { code: 'client_aborted' })
})

t.test('a declared length the buffer budget cannot hold is streamed once, counted as buffer_budget', async (t) => {
  const budget = new BufferBudget(2 * CHUNK)
  const lease = budget.lease()
  const result = await readBody(body([chunkOf(0), chunkOf(1), chunkOf(2)], 3 * CHUNK), {
    maxBuffered: 32 * MiB,
    bodyLimit: 32 * MiB,
    lease
  })
  t.equal(result.kind, 'streamed')
  t.equal(result.kind === 'streamed' && result.reason, 'buffer_budget')
  const streamed: Buffer[] = []
  if (result.kind === 'streamed') for await (const chunk of result.stream) streamed.push(chunk as Buffer)
  t.ok(Buffer.concat(streamed).equals(expected(3)), 'every byte still goes upstream, once')
  t.ok(budget.used <= budget.limit, 'the budget is never exceeded')
  lease.release()
  t.equal(budget.used, 0, 'released with the request')
})
