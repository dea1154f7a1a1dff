// The request body, read before the first attempt so that every attempt sends the same bytes.
// Up to the route's `maxBufferedBody`, and while the global buffer budget has room, it is buffered
// (replayable); beyond, what was read and the rest of the stream go upstream once (Envoy and
// Linkerd give up retries past their buffer too).
// `bodyLimit` is enforced while reading, in both modes, without destroying the client's socket,
// so the client still gets its 413.
import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { SidecarError } from '../errors.js'
import type { BufferLease } from './buffer-budget.js'

/** Why a body is streamed, not buffered: over its route's maxBufferedBody, or over the global budget. */
export type StreamedReason = 'body_too_large' | 'buffer_budget'

export type RequestBody =
  | { kind: 'buffered'; bytes: Buffer }
  | { kind: 'streamed'; stream: Readable; reason: StreamedReason }

export interface BodyLimits {
  maxBuffered: number
  bodyLimit: number
  /** This request's share of the global buffer budget; every buffered byte is reserved from it. */
  lease: BufferLease
}

export async function readBody(
  payload: Readable & { headers?: IncomingHttpHeaders },
  limits: BodyLimits
): Promise<RequestBody> {
  const chunks = payload[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const declared = Number(payload.headers?.['content-length'] ?? Number.NaN)
  const fits = declared > 0 && declared <= Math.min(limits.maxBuffered, limits.bodyLimit)
  // A declared length is reserved from the budget at once; without room the general path decides.
  if (Number.isSafeInteger(declared) && fits && limits.lease.reserve(declared)) {
    return readDeclared(chunks, declared, limits)
  }
  return readChunks(chunks, [], 0, limits)
}

/**
 * A body of known length that will be buffered anyway is copied into one buffer as it arrives,
 * so that a 10 MiB upload holds 10 MiB, not a list of chunks plus their concatenation.
 */
async function readDeclared(chunks: AsyncIterator<Buffer>, length: number, limits: BodyLimits): Promise<RequestBody> {
  const bytes = Buffer.allocUnsafe(length)
  let total = 0
  for (;;) {
    const next = await nextChunk(chunks)
    if (next.done) return { kind: 'buffered', bytes: bytes.subarray(0, total) }
    // More than declared cannot pass Node's HTTP parser; should it happen, the general path takes over.
    if (total + next.value.length > length)
      return readChunks(chunks, [bytes.subarray(0, total), next.value], total + next.value.length, limits)
    next.value.copy(bytes, total)
    total += next.value.length
  }
}

/** Chunk by chunk, each reserved from the budget: buffered, or streamed once past a limit. */
async function readChunks(
  chunks: AsyncIterator<Buffer>,
  buffered: Buffer[],
  read: number,
  limits: BodyLimits
): Promise<RequestBody> {
  let total = read
  const streamed = (reason: StreamedReason): RequestBody => ({
    kind: 'streamed',
    // Byte mode: an object-mode stream would read ahead 16 chunks (1 MiB) of every streamed body.
    stream: Readable.from(rest(buffered, chunks, total, limits), { objectMode: false }),
    reason
  })
  if (total > limits.bodyLimit) throw new SidecarError('request_too_large')
  if (total > limits.maxBuffered) return streamed('body_too_large')
  for (;;) {
    const next = await nextChunk(chunks)
    if (next.done) return { kind: 'buffered', bytes: Buffer.concat(buffered, total) }
    total += next.value.length
    if (total > limits.bodyLimit) throw new SidecarError('request_too_large')
    buffered.push(next.value)
    if (total > limits.maxBuffered) return streamed('body_too_large')
    if (!limits.lease.reserve(next.value.length)) return streamed('buffer_budget')
  }
}

async function* rest(head: Buffer[], chunks: AsyncIterator<Buffer>, read: number, limits: BodyLimits) {
  yield* head
  let total = read
  for (;;) {
    const next = await nextChunk(chunks)
    if (next.done) return
    total += next.value.length
    if (total > limits.bodyLimit) throw new SidecarError('request_too_large')
    yield next.value
  }
}

async function nextChunk(chunks: AsyncIterator<Buffer>): Promise<IteratorResult<Buffer>> {
  try {
    return await chunks.next()
  } catch (cause) {
    throw new SidecarError('client_aborted', undefined, { cause })
  }
}
