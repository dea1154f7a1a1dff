// Sends one Reply on a response: plain, chunked or streamed, or one of the scripted failure actions.
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Reply } from './types.js'

/** Number of writes a chunked body is split into, at least. */
const CHUNKED_PIECES = 4
/** Largest single write of a chunked body. */
const MAX_PIECE = 64 * 1024

export interface Connection {
  /** Cut short by close(). */
  signal: AbortSignal
  /** Resets the TCP connection under this socket. */
  reset: (socket: Socket | null) => void
}

export async function respond(res: ServerResponse, reply: Reply, { signal, reset }: Connection): Promise<void> {
  if (reply.action === 'hang') return
  if (reply.delayMs !== undefined && reply.delayMs > 0) await sleep(reply.delayMs, undefined, { signal })
  if (res.destroyed) return
  if (reply.action === 'reset') return reset(res.socket)

  const body = encodeBody(reply.body)
  const streaming = reply.stream !== undefined || reply.chunked === true
  res.statusCode = reply.status ?? 200
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value)
  if (!res.hasHeader('content-type') && isJsonBody(reply.body)) res.setHeader('content-type', 'application/json')
  if (streaming) res.removeHeader('content-length')
  else if (bodyAllowed(res.statusCode) && !res.hasHeader('content-length')) res.setHeader('content-length', body.length)

  if (reply.action === 'close-after-head') {
    // Without a declared length the head promises a chunked body, so the client still waits for one.
    if (body.length === 0) res.removeHeader('content-length')
    res.flushHeaders()
    res.socket?.end()
    return
  }
  if (reply.action === 'stall') {
    // The head promises the whole body; half of it comes, then nothing until the client gives up.
    res.flushHeaders()
    res.write(body.subarray(0, Math.floor(body.length / 2)))
    if (!res.destroyed) await new Promise<void>((resolve) => res.once('close', () => resolve()))
    return
  }
  if (reply.action === 'reset-mid-body') {
    const half = body.subarray(0, Math.floor(body.length / 2))
    await new Promise<void>((resolve) => res.write(half, () => resolve()))
    return reset(res.socket)
  }
  if (reply.stream !== undefined) return sendPieces(res, reply.stream())
  if (streaming) return sendPieces(res, split(body))
  res.end(body)
}

function encodeBody(body: Reply['body']): Buffer {
  if (body === undefined) return Buffer.alloc(0)
  if (Buffer.isBuffer(body)) return body
  if (typeof body === 'string') return Buffer.from(body)
  return Buffer.from(JSON.stringify(body))
}

function isJsonBody(body: Reply['body']): boolean {
  return body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)
}

/** RFC 9110 §15.2, §15.3.5, §15.4.5: no content on 1xx, 204 and 304. */
function bodyAllowed(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304
}

function* split(body: Buffer): Iterable<Buffer> {
  const size = Math.max(1, Math.min(MAX_PIECE, Math.ceil(body.length / CHUNKED_PIECES)))
  for (let at = 0; at < body.length; at += size) yield body.subarray(at, at + size)
}

/** Writes each piece separately (one chunk each), honouring backpressure, and stops if the client went away. */
async function sendPieces(res: ServerResponse, pieces: Iterable<Buffer>): Promise<void> {
  res.flushHeaders()
  for (const piece of pieces) {
    if (res.destroyed) return
    if (!res.write(piece)) await drainedOrClosed(res)
    else await new Promise<void>((resolve) => setImmediate(resolve))
  }
  if (!res.destroyed) res.end()
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}
