// The clients: `concurrency` workers send the logical requests through the two sidecars and record
// every send. A keyed request is sent again (same key, the other sidecar) after an answer that means
// "not processed, try again" (409, 429, 503, 502 unreachable) or after no answer at all (the store
// keeps the answer for the retry); never after an ambiguous 502/504 or a response cut after its head,
// which may have been processed (Didit has no idempotency key of its own).
import { Agent, request } from 'undici'
import type { LogicalRequest } from './plan.js'

export interface SendRecord {
  /** `${logical id}#${n}`, carried as x-chaos-send. */
  send: string
  logical: string
  route: string
  key?: string
  sidecar: 0 | 1
  /** ms since the run began. */
  startedAt: number
  endedAt: number
  deadlineMs: number
  /** Status and whole body received before the client gave up. */
  complete: boolean
  status?: number
  /** `code` of a problem+json answer. */
  problem?: string
  replayed: boolean
  /** Why there is no complete answer. */
  error?: string
}

export interface DriverOptions {
  requests: number
  logical: (index: number) => LogicalRequest
  concurrency: number
  /** Proxy base URLs of the two sidecars. */
  sidecars: readonly [string, string]
  deadlineMs: (route: string) => number
  /** The client gives up this long after the deadline, so that a hung request ends the run. */
  giveUpAfterMs: number
  /** Sends per keyed logical request, the first included. */
  maxSends: number
  retryPauseMs: number
  /** Called as each logical request starts, with how many have started. */
  onStart: (started: number) => void | Promise<void>
  now: () => number
}

const RETRY_STATUSES = new Set([409, 429, 503])
/** Requests in flight at once while warming up, per sidecar. */
const WARM_UP_CONCURRENCY = 4

/**
 * `count` plain GETs through each sidecar before the run (no logical id, so no fault), so that a
 * cold process (JIT, first connections) does not count against the first deadlines.
 */
export async function warmUp(sidecars: readonly string[], count: number): Promise<void> {
  const agent = new Agent({ connections: WARM_UP_CONCURRENCY })
  try {
    for (const base of sidecars)
      for (let sent = 0; sent < count; sent += WARM_UP_CONCURRENCY) {
        const batch = Array.from({ length: Math.min(WARM_UP_CONCURRENCY, count - sent) }, async () => {
          const res = await request(`${base}/v3/sessions/?limit=1`, { dispatcher: agent })
          await res.body.dump()
          if (res.statusCode !== 200) throw new Error(`warm-up answered ${res.statusCode}`)
        })
        await Promise.all(batch)
      }
  } finally {
    await agent.close()
  }
}

export function shouldResend(record: SendRecord): boolean {
  if (!record.complete) return record.status === undefined
  if (record.status === 502 && record.problem === 'upstream_unreachable') return true
  return record.status !== undefined && RETRY_STATUSES.has(record.status)
}

export async function drive(options: DriverOptions): Promise<SendRecord[]> {
  const records: SendRecord[] = []
  const agent = new Agent({ connections: options.concurrency * 2, keepAliveTimeout: 1000 })
  let next = 0
  const worker = async () => {
    while (next < options.requests) {
      const logical = options.logical(next++)
      await options.onStart(next)
      await runLogical(logical, options, agent, records)
    }
  }
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker))
  } finally {
    await agent.close()
  }
  return records
}

/**
 * A duplicate is two client instances with the same key (two pods on one job): each sends to its own
 * sidecar and resends on its own, as a client does, without knowing about the other.
 */
async function runLogical(logical: LogicalRequest, options: DriverOptions, agent: Agent, records: SendRecord[]) {
  let n = 0
  const instance = async (first: 0 | 1) => {
    for (let sent = 0, sidecar = first; ; sidecar = other(sidecar)) {
      const record = await send(logical, `${logical.id}#${++n}`, sidecar, options, agent)
      records.push(record)
      sent++
      if (logical.key === undefined || !shouldResend(record) || sent >= options.maxSends) return
      await new Promise((resolve) => setTimeout(resolve, options.retryPauseMs))
    }
  }
  if (logical.duplicate) await Promise.all([instance(logical.sidecar), instance(other(logical.sidecar))])
  else await instance(logical.sidecar)
}

const other = (sidecar: 0 | 1): 0 | 1 => (sidecar === 0 ? 1 : 0)

async function send(
  logical: LogicalRequest,
  id: string,
  sidecar: 0 | 1,
  options: DriverOptions,
  agent: Agent
): Promise<SendRecord> {
  const deadlineMs = options.deadlineMs(logical.call)
  const headers: Record<string, string> = { 'x-chaos-id': logical.id, 'x-chaos-send': id }
  if (logical.body !== undefined) headers['content-type'] = 'application/json'
  if (logical.key !== undefined) headers['idempotency-key'] = logical.key
  const record: SendRecord = {
    send: id,
    logical: logical.id,
    route: logical.call,
    ...(logical.key === undefined ? {} : { key: logical.key }),
    sidecar,
    startedAt: options.now(),
    endedAt: Number.NaN,
    deadlineMs,
    complete: false,
    replayed: false
  }
  try {
    const res = await request(`${options.sidecars[sidecar]}${logical.path}`, {
      method: logical.method,
      headers,
      body: logical.body ?? null,
      dispatcher: agent,
      signal: AbortSignal.timeout(deadlineMs + options.giveUpAfterMs)
    })
    record.status = res.statusCode
    record.replayed = res.headers['idempotent-replayed'] === 'true'
    const text = await res.body.text()
    record.complete = true
    if (String(res.headers['content-type']).startsWith('application/problem+json')) record.problem = problemCode(text)
  } catch (error) {
    const { code, name } = error as { code?: unknown; name?: string }
    record.error = typeof code === 'string' ? code : (name ?? 'Error')
  }
  record.endedAt = options.now()
  return record
}

function problemCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code
    return typeof code === 'string' ? code : undefined
  } catch {
    return undefined
  }
}
