// Proxy-side idempotency (IETF draft, Stripe): before forwarding, a client's key is admitted —
// claimed, replayed, coalesced with the in-flight original, or refused; after the final answer,
// the answer is stored for replay or the claim released. Generated keys never repeat, so only
// clients' keys go through the store, and only with a buffered body, which can be fingerprinted.
// A caller without credentials has no scope of its own: its request is forwarded undeduplicated.
import { PassThrough, type Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import { PROBLEM_CONTENT_TYPE, SidecarError, toProblem } from '../errors.js'
import type { Claim, Coordinator, FinalResponse } from '../idempotency/coordinator.js'
import { fingerprint } from '../idempotency/fingerprint.js'
import {
  CREDENTIAL_HEADERS,
  type CredentialHeader,
  type Credentials,
  scopeKey,
  tenantOf
} from '../idempotency/scope.js'
import type { StoredResponse } from '../idempotency/store.js'
import { keepsKey, replayedHeaders, type Unanswered } from '../idempotency/stored.js'
import type { Events } from '../observe/events.js'
import { bodyProblem, failureOf } from '../upstream/attempt.js'

export interface AdmitInput {
  coordinator: Coordinator
  events: Events
  keyPrefix: string
  route: string
  requestId: string
  credentials: Credentials
  method: string
  path: string
  query: string
  key: string
  contentType: string | undefined
  body: Buffer
}

/** The request may go upstream (with a claim to settle, or none when the store failed and `pass` applies), or it was answered here. */
export type AdmitOutcome = { kind: 'forward'; claim: Claim | null } | { kind: 'replay'; response: StoredResponse }

export async function admit(input: AdmitInput): Promise<AdmitOutcome> {
  const tenant = tenantOf(input.credentials)
  if (tenant === null) {
    // Neither served from the store nor told that a key exists: anyone could send this request.
    input.events.emit('idempotency', { route: input.route, requestId: input.requestId, result: 'unscoped' })
    return { kind: 'forward', claim: null }
  }
  const key = scopeKey(input.keyPrefix, { tenant, method: input.method, path: input.path, key: input.key })
  const print = await fingerprint(input.method, input.path + input.query, input.body, input.contentType)
  const admission = await input.coordinator.admit(key, print)
  input.events.emit('idempotency', { route: input.route, requestId: input.requestId, result: admission.result })
  switch (admission.action) {
    case 'proceed':
      return { kind: 'forward', claim: admission.claim }
    case 'bypass':
      return { kind: 'forward', claim: null }
    case 'replay':
      return { kind: 'replay', response: admission.response }
    case 'conflict':
      throw new SidecarError('idempotency_conflict', undefined, {
        headers: { 'retry-after': String(admission.retryAfter) }
      })
    case 'mismatch':
      throw new SidecarError('idempotency_mismatch')
    case 'unavailable':
      throw new SidecarError('idempotency_unavailable', undefined, { cause: admission.error })
  }
}

/**
 * The caller's credentials as Didit sees them: every value of each credential header, the
 * injected API key in place of the client's x-api-key (as the forwarded request carries it).
 */
export function credentialsOf(rawHeaders: readonly string[], injectedApiKey: string): Credentials {
  const names: ReadonlySet<string> = new Set(CREDENTIAL_HEADERS)
  const found: Array<[CredentialHeader, string]> = injectedApiKey === '' ? [] : [['x-api-key', injectedApiKey]]
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase()
    if (!names.has(name) || (name === 'x-api-key' && injectedApiKey !== '')) continue
    found.push([name as CredentialHeader, rawHeaders[i + 1] as string])
  }
  return found
}

/**
 * Answers from the store: the same status, body and content headers, marked as a replay
 * (Stripe's header). Node dates it afresh. A stream rather than a Buffer, so that Fastify adds no
 * content-type the original did not have; the length is the stored one.
 */
export function replay(reply: FastifyReply, response: StoredResponse) {
  const body = new PassThrough()
  body.end(response.body)
  reply.code(response.status).headers(replayedHeaders(response.headers)).header('idempotent-replayed', 'true')
  if (response.status !== 304) reply.header('content-length', String(response.body.length))
  return reply.send(body)
}

/**
 * Passes an upstream body through to the client while keeping a copy of up to `limit + 1` bytes
 * for the store; over the limit, the copy says so by its length and the answer is not stored.
 * A client that goes away does not stop the copy: the upstream body is still read to its end
 * (while it fits), so that the client's retry finds the answer Didit gave, and is not billed twice.
 * `done` gets the copy, or null and the body's error when the upstream body broke or was destroyed.
 */
export function tee(body: Readable, limit: number, done: (copy: Buffer | null, error?: Error) => void): Readable {
  const kept: Buffer[] = []
  let size = 0
  let settled = false
  const finish = (copy: Buffer | null, error?: Error) => {
    if (settled) return
    settled = true
    done(copy, error)
  }
  const through = new PassThrough()
  const clientGone = () => through.destroyed
  through.once('close', () => {
    if (through.writableFinished) return
    if (size > limit) body.destroy()
    else body.resume()
  })
  body.on('data', (chunk: Buffer) => {
    if (size <= limit) {
      kept.push(chunk)
      size += chunk.length
    }
    if (clientGone()) {
      if (size > limit) body.destroy()
      return
    }
    if (!through.write(chunk)) {
      body.pause()
      through.once('drain', () => body.resume())
    }
  })
  body.once('end', () => {
    finish(Buffer.concat(kept))
    if (!clientGone()) through.end()
  })
  body.once('error', (error) => {
    finish(null, error)
    through.destroy(error)
  })
  // Destroyed without an error (the client left with an answer too large to keep): nothing to store.
  body.once('close', () => finish(body.readableEnded ? Buffer.concat(kept) : null))
  return through
}

/**
 * What settles a claim when no upstream answer was passed on complete: the sidecar's own answer,
 * as its client was sent it (problems.ts adds the charset), when the key is kept (`keepsKey`), so
 * that a retry or a waiting duplicate is replayed it rather than billed again; null releases the key.
 */
export function unansweredSettlement(
  ending: Unanswered,
  error: SidecarError,
  rule: { idempotent: boolean; releaseOn: readonly number[]; requestId: string }
): FinalResponse | null {
  if (!keepsKey(ending, rule.idempotent, rule.releaseOn)) return null
  return {
    status: error.status,
    headers: { 'content-type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8` },
    body: Buffer.from(JSON.stringify(toProblem(error, rule.requestId))),
    fromUpstream: false,
    ambiguous: true
  }
}

/**
 * The problem for an upstream body that broke after its head (the one problems.ts sends when no
 * byte had reached the client yet), or null when the sidecar destroyed it itself (the client left).
 */
export function cutBodyProblem(error: (Error & { code?: string }) | undefined): SidecarError | null {
  if (error === undefined || error.code === 'UND_ERR_ABORTED') return null
  return new SidecarError(bodyProblem(failureOf(error, false)), undefined, { cause: error })
}
