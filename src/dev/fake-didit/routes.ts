// Default endpoint behaviour: the Didit v3 routes this fake knows, matched on method and path.
import { decisionBody } from './decision.js'
import { badRequest, notFound } from './input.js'
import { OtpStore } from './otp.js'
import { pdfOfSize, smallPdf } from './pdf.js'
import { pathOf } from './script-book.js'
import { SessionStore } from './sessions.js'
import { STANDALONE, standalone } from './standalone.js'
import type { RecordedRequest, Reply } from './types.js'

interface Context {
  request: RecordedRequest
  query: URLSearchParams
  /** The :id of session routes. */
  id: string
}

interface Route {
  method: string
  path: RegExp
  handle: (ctx: Context) => Reply
}

/** Largest ?size= of generate-pdf. */
const MAX_PDF_SIZE = 2 ** 30

export class DiditRoutes {
  readonly sessions = new SessionStore()
  readonly otp = new OtpStore()
  readonly #routes: Route[]

  /** baseUrl is the fake's own URL, for the pagination links. */
  constructor(baseUrl: () => string) {
    const session = (tail: string): RegExp => new RegExp(`^/v3/session/([^/]+)/${tail}/$`)
    this.#routes = [
      { method: 'POST', path: /^\/v3\/session\/$/, handle: ({ request }) => this.sessions.create(request) },
      { method: 'GET', path: session('decision'), handle: ({ id }) => this.#decision(id) },
      {
        method: 'PATCH',
        path: session('update-status'),
        handle: ({ id, request }) => this.sessions.updateStatus(id, request)
      },
      { method: 'DELETE', path: session('delete'), handle: ({ id }) => this.sessions.delete(id) },
      { method: 'GET', path: session('generate-pdf'), handle: ({ id, query }) => this.#pdf(id, query) },
      {
        method: 'GET',
        path: /^\/v3\/sessions\/$/,
        handle: ({ query }) => this.sessions.list(query, `${baseUrl()}/v3/sessions/`)
      },
      { method: 'POST', path: /^\/v3\/email\/send\/$/, handle: ({ request }) => this.otp.send('email', request) },
      { method: 'POST', path: /^\/v3\/email\/check\/$/, handle: ({ request }) => this.otp.check('email', request) },
      { method: 'POST', path: /^\/v3\/phone\/send\/$/, handle: ({ request }) => this.otp.send('phone', request) },
      { method: 'POST', path: /^\/v3\/phone\/check\/$/, handle: ({ request }) => this.otp.check('phone', request) },
      ...Object.entries(STANDALONE).map(([path, endpoint]) => ({
        method: 'POST',
        path: new RegExp(`^${path}$`),
        handle: ({ request }: Context) => standalone(endpoint, request)
      }))
    ]
  }

  /** The default answer; 405 when the path is known but not the method, 404 when the path is unknown. */
  handle(request: RecordedRequest): Reply {
    const path = pathOf(request.url)
    const ctx = { request, query: new URLSearchParams(request.url.slice(path.length + 1)) }
    const allowed: string[] = []
    for (const route of this.#routes) {
      const match = route.path.exec(path)
      if (match === null) continue
      if (route.method === request.method) return route.handle({ ...ctx, id: match[1] ?? '' })
      allowed.push(route.method)
    }
    if (allowed.length === 0) return notFound()
    return {
      status: 405,
      headers: { allow: allowed.join(', ') },
      body: { detail: `Method "${request.method}" not allowed.` }
    }
  }

  #decision(id: string): Reply {
    const session = this.sessions.get(id)
    return session === undefined ? notFound() : { status: 200, body: decisionBody(session) }
  }

  /** ?size=N streams an N-byte body chunked, for large-response tests; otherwise a small PDF. */
  #pdf(id: string, query: URLSearchParams): Reply {
    if (this.sessions.get(id) === undefined) return notFound()
    const headers = { 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="${id}.pdf"` }
    const size = query.get('size')
    if (size === null) return { status: 200, headers, body: smallPdf(id) }
    if (!/^\d+$/.test(size) || Number(size) > MAX_PDF_SIZE)
      return badRequest({ size: [`Ensure this value is an integer between 0 and ${MAX_PDF_SIZE}.`] })
    return { status: 200, headers, stream: () => pdfOfSize(Number(size)) }
  }
}
