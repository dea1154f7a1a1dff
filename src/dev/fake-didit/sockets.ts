// Tracks the server's TCP sockets, so close() can end every one (hanging requests, TLS handshakes) and a
// reset can send an RST even under TLS, where the response's socket is a TLSSocket without a TCP handle.
import type { Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

const keyOf = (socket: Socket): string => `${socket.remoteAddress}:${socket.remotePort}`

export class SocketTracker {
  #sockets = new Map<string, Socket>()
  /** Sockets with a request in progress. */
  #busy = new Set<Socket>()

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      const key = keyOf(socket)
      this.#sockets.set(key, socket)
      socket.once('close', () => {
        if (this.#sockets.get(key) === socket) this.#sockets.delete(key)
      })
    })
  }

  /** RST rather than FIN, so the client sees a reset (ECONNRESET), like a crashed upstream. */
  reset(socket: Socket | null): void {
    if (socket === null) return
    const tcp = this.#sockets.get(keyOf(socket)) ?? socket
    if (tcp.destroyed) return
    try {
      tcp.resetAndDestroy()
    } catch {
      tcp.destroy()
    }
  }

  /** A request is in progress on this socket until its response closes. */
  busy(socket: Socket, res: ServerResponse): void {
    this.#busy.add(socket)
    res.once('close', () => this.#busy.delete(socket))
  }

  /** Resets every connection (the listener went away); returns how many had no request in progress. */
  resetAll(): number {
    let idle = 0
    for (const socket of [...this.#sockets.values()]) {
      if (!this.#busy.has(socket)) idle++
      this.reset(socket)
    }
    return idle
  }

  destroyAll(): void {
    for (const socket of this.#sockets.values()) socket.destroy()
  }
}
