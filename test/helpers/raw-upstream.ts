// A raw TCP upstream for faults the fake Didit cannot make: malformed status lines, heads whose
// body stalls, lengths that lie. Each request (head and Content-Length body) is handed to `answer`
// with its socket; the server counts requests and open sockets, and closes everything in teardown.
import { createServer, type Socket } from 'node:net'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface RawUpstreamRequest {
  /** Request line and headers, as received. */
  head: string
  body: Buffer
  /** 1 for the first request this server saw. */
  index: number
  /** Whether the socket this request came on has closed since. */
  socketClosed(): boolean
}

export interface RawUpstream {
  url: string
  requests: RawUpstreamRequest[]
  /** Sockets accepted and not yet closed. */
  openSockets(): number
  close(): Promise<void>
}

export async function startRawUpstream(
  t: Teardown,
  answer: (socket: Socket, request: RawUpstreamRequest) => void
): Promise<RawUpstream> {
  const requests: RawUpstreamRequest[] = []
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    let closed = false
    socket.on('close', () => {
      closed = true
      sockets.delete(socket)
    })
    socket.on('error', () => undefined)
    let buffered = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n')
        if (end === -1) return
        const head = buffered.subarray(0, end).toString('latin1')
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)
        if (buffered.length < end + 4 + length) return
        const request = {
          head,
          body: buffered.subarray(end + 4, end + 4 + length),
          index: requests.length + 1,
          socketClosed: () => closed
        }
        buffered = buffered.subarray(end + 4 + length)
        requests.push(request)
        answer(socket, request)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening')
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  t.teardown(close)
  return { url: `http://127.0.0.1:${address.port}`, requests, openSockets: () => sockets.size, close }
}
