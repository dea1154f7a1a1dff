// Proxy-side idempotency (IETF draft, Stripe): before forwarding, a client's key is admitted —
// claimed, replayed, coalesced with the in-flight original, or refused; after the final answer,
// the answer is stored for replay or the claim released. Generated keys never repeat, so only
// clients' keys go through the store, and only with a buffered body, which can be fingerprinted.
import { pipeline, type Readable, Transform } from 'node:stream'
import type { FastifyReply } from 'fastify'
import { SidecarError } from '../errors.js'
import { type Claim, type Coordinator, fingerprint, scopeKey } from '../idempotency/coordinator.js'
import type { StoredResponse } from '../idempotency/store.js'
import type { Events } from '../observe/events.js'

export interface AdmitInput {
  coordinator: Coordinator
  events: Events
  keyPrefix: string
  route: string
  requestId: string
  apiKey: string
  method: string
  path: string
  query: string
  key: string
  body: Buffer
}

/** The request may go upstream (with a claim to settle, or none when the store failed and `pass` applies), or it was answered here. */
export type AdmitOutcome = { kind: 'forward'; claim: Claim | null } | { kind: 'replay'; response: StoredResponse }

export async function admit(input: AdmitInput): Promise<AdmitOutcome> {
  const key = scopeKey(input.keyPrefix, {
    apiKey: input.apiKey,
    method: input.method,
    path: input.path,
    key: input.key
  })
  const admission = await input.coordinator.admit(key, fingerprint(input.method, input.path + input.query, input.body))
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

/** Answers from the store: the same status, headers and bytes, marked as a replay (Stripe's header). */
export function replay(reply: FastifyReply, response: StoredResponse) {
  return reply.code(response.status).headers(response.headers).header('idempotent-replayed', 'true').send(response.body)
}

/**
 * Passes an upstream body through to the client while keeping a copy of up to `limit + 1` bytes,
 * then hands the copy to `done`, or null when either side broke. Over the limit, the copy says so
 * by its length, and the answer is not stored.
 */
export function tee(body: Readable, limit: number, done: (copy: Buffer | null) => void): Readable {
  const kept: Buffer[] = []
  let size = 0
  const through = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      if (size <= limit) {
        kept.push(chunk)
        size += chunk.length
      }
      next(null, chunk)
    }
  })
  pipeline(body, through, (error) => done(error ? null : Buffer.concat(kept)))
  return through
}
