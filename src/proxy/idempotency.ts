// Proxy-side idempotency (IETF draft, Stripe): before forwarding, a client's key is admitted —
// claimed, replayed, coalesced with the in-flight original, or refused; after the final answer,
// the answer is stored for replay or the claim released. Generated keys never repeat, so only
// clients' keys go through the store, and only with a buffered body, which can be fingerprinted.
import { PassThrough, type Readable } from 'node:stream'
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
 * Passes an upstream body through to the client while keeping a copy of up to `limit + 1` bytes
 * for the store; over the limit, the copy says so by its length and the answer is not stored.
 * A client that goes away does not stop the copy: the upstream body is still read to its end
 * (while it fits), so that the client's retry finds the answer Didit gave, and is not billed twice.
 * `done` gets the copy, or null when the upstream body broke.
 */
export function tee(body: Readable, limit: number, done: (copy: Buffer | null) => void): Readable {
  const kept: Buffer[] = []
  let size = 0
  let settled = false
  const finish = (copy: Buffer | null) => {
    if (settled) return
    settled = true
    done(copy)
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
    finish(null)
    through.destroy(error)
  })
  // Destroyed without an error (the client left with an answer too large to keep): nothing to store.
  body.once('close', () => finish(body.readableEnded ? Buffer.concat(kept) : null))
  return through
}
