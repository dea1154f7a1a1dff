// Public shapes of the fake Didit server; re-exported by ../fake-didit.ts.
import type { IncomingHttpHeaders } from 'node:http'

export interface RecordedRequest {
  method: string
  /** Request target as received: path + query, byte for byte. */
  url: string
  headers: IncomingHttpHeaders
  /** As received, for repeated headers. */
  rawHeaders: string[]
  body: Buffer
  /** Hex SHA-256 of body. */
  sha256: string
  /** Date.now() once the body was fully read. */
  receivedAt: number
}

/** One scripted answer. Without `action`, answers status/headers/body after delayMs. */
export interface Scripted {
  /** Default 200. */
  status?: number
  headers?: Record<string, string | string[]>
  /** An object is sent as JSON with content-type application/json. */
  body?: string | Buffer | object
  /** Wait before the response head (or before the action). */
  delayMs?: number
  /** Send the body with Transfer-Encoding: chunked, in several writes. */
  chunked?: boolean
  /**
   * reset: read the request body, then reset the socket without answering.
   * hang: read the body, never answer (until close()).
   * reset-mid-body: send the head and half of the body (make it >= 64 KiB), then reset the socket.
   * close-after-head: send the head announcing the body, then close the socket without it.
   * stall: send the head and half of the body, then send nothing more until the client leaves (or close()).
   */
  action?: 'reset' | 'hang' | 'reset-mid-body' | 'close-after-head' | 'stall'
}

/** Method compares case-insensitively; path compares against the path without query. */
export interface Matcher {
  method?: string
  path?: string | RegExp
}

/**
 * reset: read the request, reset without processing it. reset-before-read: reset as soon as the head
 * arrives (never processed). reset-after-read: process it (a side effect), then reset. slow: process
 * it, answer after slowMs. stall: process it, send the head and half the body, then stall.
 * Without a mix, random faults use the first six kinds only.
 */
export type FaultKind =
  | '503'
  | '429'
  | '500'
  | '502'
  | 'reset'
  | 'slow'
  | 'reset-before-read'
  | 'reset-after-read'
  | 'stall'

/** What a fault plan sees of a request when it arrives: the head only, before the body is read. */
export interface Arrival {
  method: string
  url: string
  headers: IncomingHttpHeaders
}

export interface FaultOptions {
  /** Share of requests, 0..1, that get a fault. */
  ratio: number
  /** Relative weights of the fault kinds; default: all kinds equally. */
  mix?: Partial<Record<FaultKind, number>>
  /** Delay of a 'slow' fault before the normal answer; default 2000 ms. */
  slowMs?: number
  /** Retry-After of a 429 fault, in seconds; default 1. */
  retryAfterS?: number
  /** A fault plan: decides each request's fault when its head arrives; ratio, mix and random are then unused. */
  choose?: (arrival: Arrival) => FaultKind | undefined
}

/** One processed request that had a billable effect (a 2xx from a handler; a reused session is none). */
export interface SideEffect {
  /** The value of the effect header. */
  id: string
  method: string
  path: string
  /** Date.now() when it was processed. */
  at: number
  headers: IncomingHttpHeaders
}

export interface FakeDiditOptions {
  /** Default '127.0.0.1'; non-loopback hosts are refused. */
  host?: string
  /** Default 0 (any free port). */
  port?: number
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer }
  /** When set, requests without this x-api-key get Didit's 403. */
  apiKey?: string
  /** For demos: a share of requests gets a fault, weighted by mix. */
  faults?: FaultOptions
  /** Randomness for faults; default Math.random. */
  random?: () => number
  /** Requests carrying this header are counted in `effects` when processed (a logical request id). */
  effectHeader?: string
}

export interface FakeDidit {
  /** e.g. http://127.0.0.1:34567 (https when tls). */
  readonly url: string
  readonly port: number
  readonly requests: RecordedRequest[]
  /**
   * Queue answers for matching requests, used in order; when the queue runs out, the last one repeats
   * if `repeat` is true, else the default endpoint behaviour resumes.
   */
  script(matcher: Matcher, answers: Scripted | Scripted[], options?: { repeat?: boolean }): void
  /** Forget scripts and recorded requests (sessions created so far stay). */
  reset(): void
  count(matcher?: Matcher): number
  /** Billable effects of requests that carried `effectHeader`, in order. */
  readonly effects: SideEffect[]
  /** Requests whose head arrived, including those reset before their body was read. */
  arrivals(): number
  /**
   * The listener goes away: reset every open connection, drop new ones for 50 ms, then stop listening.
   * `idleCut` counts the idle and the dropped connections (a request written on one of those may never
   * have been seen here).
   */
  down(): Promise<{ idleCut: number }>
  /** Listen again on the same port. */
  up(): Promise<void>
  /** Also ends hanging requests, pending delays and open sockets, so tests never wait. */
  close(): Promise<void>
}

/** What the responder sends: a scripted answer, or a default one that may stream a large body. */
export interface Reply extends Scripted {
  /** Body produced piece by piece, sent chunked; takes precedence over `body`. */
  stream?: () => Iterable<Buffer>
}
