// A fake Didit API on loopback for tests, benchmarks and demos: records every request, answers from
// scripts first, then (when set) the API-key check, random faults, and the default Didit v3 endpoints.
import { createHash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { type AddressInfo, isIP, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { DEFAULT_SLOW_MS, faultReply, pickFault, validateFaults } from './fake-didit/faults.js'
import { respond } from './fake-didit/respond.js'
import { DiditRoutes } from './fake-didit/routes.js'
import { pathOf, requestMatches, ScriptBook } from './fake-didit/script-book.js'
import { SocketTracker } from './fake-didit/sockets.js'
import type { FakeDidit, FakeDiditOptions, FaultKind, RecordedRequest, Reply, SideEffect } from './fake-didit/types.js'

export type {
  Arrival,
  FakeDidit,
  FakeDiditOptions,
  FaultKind,
  FaultOptions,
  Matcher,
  RecordedRequest,
  Scripted,
  SideEffect
} from './fake-didit/types.js'

/** How long down() accepts-and-drops before the listener closes. */
const DRAIN_BACKLOG_MS = 50

const FORBIDDEN: Reply = { status: 403, body: { detail: 'You do not have permission to perform this action.' } }

/** Loopback only: the fake answers anything, so it must never be reachable from another machine. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  const v6 = host.toLowerCase()
  return v6 === '::1' || (v6.startsWith('::ffff:') && isIP(v6.slice(7)) === 4 && v6.slice(7).startsWith('127.'))
}

export async function startFakeDidit(options: FakeDiditOptions = {}): Promise<FakeDidit> {
  const host = options.host ?? '127.0.0.1'
  if (!isLoopback(host)) throw new RangeError(`fake Didit listens on loopback only, not on ${host}`)
  if (options.faults !== undefined) validateFaults(options.faults)
  const random = options.random ?? Math.random
  const book = new ScriptBook()
  const requests: RecordedRequest[] = []
  const effects: SideEffect[] = []
  let arrivals = 0
  const closing = new AbortController()
  // Every delayed answer listens on it; under load there are many at once.
  setMaxListeners(0, closing.signal)
  let url = ''
  const routes = new DiditRoutes(() => url)

  // The default answer, counted as a side effect when the request carries the effect header.
  const processRequest = (request: RecordedRequest): Reply => {
    const sessionsBefore = routes.sessions.size
    const reply = routes.handle(request)
    const id = options.effectHeader === undefined ? undefined : request.headers[options.effectHeader]
    if (typeof id === 'string' && isEffect(request, reply, sessionsBefore !== routes.sessions.size))
      effects.push({ id, method: request.method, path: pathOf(request.url), at: Date.now(), headers: request.headers })
    return reply
  }

  const answer = (request: RecordedRequest, planned: FaultKind | undefined): Reply => {
    const scripted = book.take(request.method, pathOf(request.url))
    if (scripted !== undefined) return scripted
    if (options.apiKey !== undefined && request.headers['x-api-key'] !== options.apiKey) return FORBIDDEN
    const faults = options.faults
    const fault = faults === undefined || faults.choose !== undefined ? planned : pickFault(faults, random)
    if (fault === undefined) return processRequest(request)
    const slowMs = faults?.slowMs ?? DEFAULT_SLOW_MS
    const normal = () => processRequest(request)
    return faultReply(fault, request.method, normal, request.receivedAt, slowMs, faults?.retryAfterS)
  }

  const server: Server = options.tls === undefined ? createServer() : createTlsServer(options.tls)
  const sockets = new SocketTracker(server)
  const connection = { signal: closing.signal, reset: sockets.reset.bind(sockets) }
  // Receive the whole request, record it, then answer: a recorded request is always a complete one.
  // A fault plan decides when the head arrives, so that a reset can come before the body is read.
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    arrivals++
    sockets.busy(req.socket, res)
    const planned = options.faults?.choose?.({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    if (planned === 'reset-before-read') return sockets.reset(req.socket)
    const request = await receive(req)
    requests.push(request)
    await respond(res, answer(request, planned), connection)
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    serve(req, res).catch(() => res.destroy())
  })
  await listen(server, host, options.port ?? 0)
  const port = (server.address() as AddressInfo).port
  url = `${options.tls === undefined ? 'http' : 'https'}://${isIP(host) === 6 ? `[${host}]` : host}:${port}`

  let closed: Promise<void> | undefined
  let listening = true
  return {
    url,
    port,
    requests,
    effects,
    arrivals: () => arrivals,
    async down() {
      if (!listening) return { idleCut: 0 }
      listening = false
      // Drop new connections for a moment before closing the listener, so that connections already
      // queued by the kernel are accepted and counted here instead of vanishing with the listener.
      let dropped = 0
      const drop = (socket: Socket) => {
        dropped++
        sockets.reset(socket)
      }
      server.on('connection', drop)
      const idle = sockets.resetAll()
      await sleep(DRAIN_BACKLOG_MS)
      await new Promise<void>((resolve) => server.close(() => resolve()))
      server.off('connection', drop)
      return { idleCut: idle + dropped }
    },
    async up() {
      if (listening || closed !== undefined) return
      await listen(server, host, port)
      listening = true
    },
    script: (matcher, answers, scriptOptions) => book.add(matcher, answers, scriptOptions?.repeat === true),
    reset: () => {
      book.clear()
      requests.length = 0
    },
    count: (matcher = {}) => requests.filter((request) => requestMatches(matcher, request)).length,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        closing.abort()
        server.close(() => resolve())
        sockets.destroyAll()
      })
      return closed
    }
  }
}

/** A billable effect: a write the handler accepted (2xx), except a session create that reused a session. */
function isEffect(request: RecordedRequest, reply: Reply, createdSession: boolean): boolean {
  const status = reply.status ?? 200
  if (request.method === 'GET' || request.method === 'HEAD' || status < 200 || status > 299) return false
  return pathOf(request.url) !== '/v3/session/' || request.method !== 'POST' || createdSession
}

/** Reads the whole body before anything is answered, and stamps the record. */
async function receive(req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks)
  return {
    method: req.method ?? '',
    url: req.url ?? '',
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    body,
    sha256: createHash('sha256').update(body).digest('hex'),
    receivedAt: Date.now()
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}
