// One budget for every request body held in memory for replay (`listen.maxBufferedTotal`).
// Each body may be buffered up to its route's `maxBufferedBody`, but many at once would add up
// to more than a sidecar's memory limit; past the budget a body is streamed once, never retried
// (as past its own buffer limit). A request's lease is made when its body is read, and its share
// given back once, when its response closes however it ends: answered, failed, or the client gone
// (arrival.ts, on the response's one 'close' listener).
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

/** The lease of a request whose response closed before its body was read: it reserves nothing. */
export const NO_LEASE: BufferLease = { reserve: () => false, release: () => undefined }
