// Claims the sidecar gave up on. A claim command that timed out or failed may still have been run
// by Redis (Promise.race does not cancel it; a reply can be lost after Redis ran it), and would then
// block its key for lockTtl with nobody to settle it. Each one is undone by owner as soon as the
// store answers again; past lockTtl it has expired by itself and is forgotten.

// Bounds the memory a long outage can take; a claim forgotten here only expires after lockTtl.
const MAX_PENDING = 10_000

interface Pending {
  key: string
  until: number
}

export class AbandonedClaims {
  /** By owner (unique per admission), in the order they were given up. */
  private readonly pending = new Map<string, Pending>()
  private draining = false

  constructor(
    private readonly release: (key: string, owner: string) => Promise<boolean>,
    private readonly now: () => number = Date.now
  ) {}

  get size(): number {
    return this.pending.size
  }

  /** Remembers a claim to undo and tries at once: on a live connection the undo queues right behind it. */
  add(key: string, owner: string, lockTtl: number): void {
    if (this.pending.size >= MAX_PENDING) {
      const oldest = this.pending.keys().next()
      if (!oldest.done) this.pending.delete(oldest.value)
    }
    this.pending.set(owner, { key, until: this.now() + lockTtl })
    void this.drain()
  }

  /** Undoes pending claims in order; stops at the first store failure, to be called again when the store answers. */
  async drain(): Promise<void> {
    if (this.draining) return
    this.draining = true
    try {
      for (const [owner, { key, until }] of this.pending) {
        if (until > this.now()) {
          try {
            await this.release(key, owner)
          } catch {
            return
          }
        }
        this.pending.delete(owner)
      }
    } finally {
      this.draining = false
    }
  }
}
