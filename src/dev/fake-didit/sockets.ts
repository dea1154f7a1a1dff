// Tracks the server's TCP sockets, so close() can end every one (hanging requests, TLS handshakes) and a
// reset can send an RST even under TLS, where the response's socket is a TLSSocket without a TCP handle.
import type { Server } from 'node:http'
import type { Socket } from 'node:net'

const keyOf = (socket: Socket): string => `${socket.remoteAddress}:${socket.remotePort}`

export class SocketTracker {
  #sockets = new Map<string, Socket>()

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

  destroyAll(): void {
    for (const socket of this.#sockets.values()) socket.destroy()
  }
}
