// Raw HTTP/1.1 on a socket, for what clients would normalise or refuse to send: writes the bytes
// and reads the answer until its Content-Length is complete or the server closes.
import { connect } from 'node:net'

export interface RawAnswer {
  status: number
  head: string
  headers: Record<string, string>
  body: string
}

export function rawRequest(url: string, bytes: string, timeoutMs = 5000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let text = ''
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('raw request timed out')))
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))
      if (end !== -1 && length !== null && text.length >= end + 4 + Number(length[1])) socket.destroy()
    })
    socket.on('close', () => resolve(parse(text)))
    socket.on('error', reject)
    socket.write(bytes, 'latin1')
  })
}

function parse(text: string): RawAnswer {
  const end = text.indexOf('\r\n\r\n')
  const head = end === -1 ? text : text.slice(0, end)
  const headers: Record<string, string> = {}
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status: Number(head.split(' ')[1] ?? 0), head, headers, body: end === -1 ? '' : text.slice(end + 4) }
}
