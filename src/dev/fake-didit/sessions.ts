// Verification sessions: create (with Didit's vendor_data dedup), status updates, delete and list.
import { randomBytes, randomUUID } from 'node:crypto'
import { badRequest, notFound, readJson } from './input.js'
import type { RecordedRequest, Reply } from './types.js'

export interface Session {
  session_id: string
  session_number: number
  session_token: string
  url: string
  status: string
  workflow_id: string
  workflow_version: number
  vendor_data: string | null
  metadata: unknown
  callback: string | null
  created_at: string
}

const UNFINISHED = new Set(['Not Started', 'In Progress'])
const SETTABLE = ['Approved', 'Declined', 'Resubmitted']
/** Page size of GET /v3/sessions/ when no limit is given. */
const DEFAULT_PAGE = 20
const FIRST_SESSION_NUMBER = 1000

export class SessionStore {
  #sessions = new Map<string, Session>()
  #next = FIRST_SESSION_NUMBER

  /** Sessions created so far (and not deleted). */
  get size(): number {
    return this.#sessions.size
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id)
  }

  /** 201 with a new session, or with the unfinished one of the same workflow and vendor_data (Didit dedup). */
  create(request: RecordedRequest): Reply {
    const input = readJson(request)
    if (!input.ok) return input.reply
    const { workflow_id: workflowId, vendor_data: vendorData, callback, metadata } = input.value
    if (typeof workflowId !== 'string' || workflowId === '')
      return badRequest({ workflow_id: ['This field is required.'] })
    const vendor = typeof vendorData === 'string' && vendorData !== '' ? vendorData : null
    const existing = vendor === null ? undefined : this.#unfinished(workflowId, vendor)
    const session = existing ?? this.#open(workflowId, vendor, request.receivedAt)
    if (metadata !== undefined) session.metadata = metadata
    if (typeof callback === 'string') session.callback = callback
    const { created_at: _, ...body } = session
    return { status: 201, body }
  }

  updateStatus(id: string, request: RecordedRequest): Reply {
    const session = this.#sessions.get(id)
    if (session === undefined) return notFound()
    const input = readJson(request)
    if (!input.ok) return input.reply
    const status = input.value.new_status
    if (status === undefined) return badRequest({ new_status: ['This field is required.'] })
    if (typeof status !== 'string' || !SETTABLE.includes(status))
      return badRequest({ new_status: [`"${String(status)}" is not a valid choice.`] })
    // Didit answers a no-op change with a bare array (didit-api.md).
    if (session.status === status) return badRequest([`Session status is already ${status}.`])
    session.status = status
    return { status: 200, body: { session_id: id } }
  }

  /** 204, then 404 for the same id. */
  delete(id: string): Reply {
    return this.#sessions.delete(id) ? { status: 204 } : notFound()
  }

  /** Newest first, paginated with limit and offset. */
  list(query: URLSearchParams, pageUrl: string): Reply {
    const limit = positive(query.get('limit'), DEFAULT_PAGE)
    const offset = positive(query.get('offset'), 0)
    if (limit === undefined || limit === 0 || offset === undefined)
      return badRequest({ detail: 'limit and offset must be non-negative integers.' })
    const vendor = query.get('vendor_data')
    const all = [...this.#sessions.values()].reverse().filter((s) => vendor === null || s.vendor_data === vendor)
    const page = (at: number): string => `${pageUrl}?limit=${limit}&offset=${at}`
    return {
      status: 200,
      body: {
        count: all.length,
        next: offset + limit < all.length ? page(offset + limit) : null,
        previous: offset > 0 ? page(Math.max(0, offset - limit)) : null,
        results: all.slice(offset, offset + limit).map((s) => ({
          session_id: s.session_id,
          session_number: s.session_number,
          status: s.status,
          workflow_id: s.workflow_id,
          vendor_data: s.vendor_data,
          created_at: s.created_at
        }))
      }
    }
  }

  #unfinished(workflowId: string, vendor: string): Session | undefined {
    for (const s of this.#sessions.values())
      if (s.workflow_id === workflowId && s.vendor_data === vendor && UNFINISHED.has(s.status)) return s
    return undefined
  }

  #open(workflowId: string, vendor: string | null, now: number): Session {
    const token = randomBytes(9).toString('base64url')
    const session: Session = {
      session_id: randomUUID(),
      session_number: this.#next++,
      session_token: token,
      url: `https://verify.didit.me/session/${token}`,
      status: 'Not Started',
      workflow_id: workflowId,
      workflow_version: 1,
      vendor_data: vendor,
      metadata: null,
      callback: null,
      created_at: new Date(now).toISOString()
    }
    this.#sessions.set(session.session_id, session)
    return session
  }
}

function positive(value: string | null, fallback: number): number | undefined {
  if (value === null) return fallback
  return /^\d+$/.test(value) ? Number(value) : undefined
}
