// Lingering close (nginx's `lingering_close`): when the sidecar refuses a request whose body is
// still arriving (413 over bodyLimit, a bad target, …), Node would close the socket as soon as the
// answer is written; the kernel then resets a connection with unread bytes, and a client still
// writing gets EPIPE or ECONNRESET instead of the answer. So the answer closes only our side, and
// the rest of the body is read and discarded, up to `lingerSize` bytes and `lingerTime`.
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { PROBLEM_CONTENT_TYPE } from '../errors.js'

export interface LingerLimits {
  lingerTime: number
  lingerSize: number
}

/** In the onSend hook: a problem answer sent before the body has fully arrived lingers. */
export function lingerAfterRefusal(limits: LingerLimits) {
  return function lingerIfRefused(request: FastifyRequest, reply: FastifyReply) {
    if (!request.raw.complete && !request.raw.destroyed && isProblem(reply)) {
      reply.header('connection', 'close')
      linger(request.raw, reply.raw, limits)
    }
  }
}

function isProblem(reply: FastifyReply): boolean {
  return String(reply.getHeader('content-type') ?? '').startsWith(PROBLEM_CONTENT_TYPE)
}

function linger(req: IncomingMessage, res: FastifyReply['raw'], { lingerTime, lingerSize }: LingerLimits) {
  const socket = req.socket as Socket & { destroySoon(): void }
  const close = () => socket.destroy()
  const timer = setTimeout(close, lingerTime)
  socket.once('close', () => clearTimeout(timer))
  const destroySoon = socket.destroySoon
  let answered = false
  // Node calls this once the answer is written (`Connection: close`): half-close instead.
  socket.destroySoon = () => {
    answered = true
    if (req.complete) destroySoon.call(socket)
    else socket.end()
  }
  // After Node's own 'finish' handler, which drops the request's 'data' listeners.
  res.once('finish', () => {
    let discarded = 0
    // A reader that gave up on the body (the body reader past bodyLimit) must not keep it paused.
    req.removeAllListeners('readable')
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length
      if (discarded > lingerSize) close()
    })
    req.once('end', () => {
      if (answered) close()
    })
    req.resume()
  })
}
