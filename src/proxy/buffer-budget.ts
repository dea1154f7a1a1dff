// One budget for every request body held in memory for replay (`listen.maxBufferedTotal`).
// Each body may be buffered up to its route's `maxBufferedBody`, but many at once would add up
// to more than a sidecar's memory limit; past the budget a body is streamed once, never retried
// (as past its own buffer limit). A request's share is given back once, when its response closes
// however it ends: answered, failed, or the client gone.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { DrainCollect } from './drain-collect.js'

export class BufferBudget {
  #used = 0

  /** `drain` is told of reservations and releases, to collect dead bodies once the budget empties. */
  constructor(
    readonly limit: number,
    private readonly drain: Pick<DrainCollect, 'reserved' | 'released'> = new DrainCollect()
  ) {}

  /** Bytes reserved now by every request. */
  get used(): number {
    return this.#used
  }

  lease(): BufferLease {
    let held = 0
    let released = false
    return {
      reserve: (bytes) => {
        if (released || this.#used + bytes > this.limit) return false
        this.#used += bytes
        held += bytes
        this.drain.reserved(bytes)
        return true
      },
      release: () => {
        if (released) return
        released = true
        this.#used -= held
        held = 0
        this.drain.released(this.#used)
      }
    }
  }
}

export interface BufferLease {
  /** Reserves `bytes` more for this request; false when the budget cannot give them. */
  reserve(bytes: number): boolean
  /** Gives back everything this request reserved; later calls do nothing. */
  release(): void
}

/** An onRequest hook giving each request a lease released when its response closes, and its lookup. */
export function bufferLeases(budget: BufferBudget) {
  const leases = new WeakMap<FastifyRequest, BufferLease>()
  return {
    onRequest(request: FastifyRequest, reply: FastifyReply, done: () => void) {
      const lease = budget.lease()
      leases.set(request, lease)
      reply.raw.once('close', lease.release)
      done()
    },
    leaseOf(request: FastifyRequest): BufferLease {
      const lease = leases.get(request)
      if (lease === undefined) throw new Error('no buffer lease: the onRequest hook did not run')
      return lease
    }
  }
}
