// Buffered request bodies live outside V8's heap. Once a burst of large uploads has been answered
// nothing else allocates, so V8 has no reason to collect them: measured, 80-160 MiB of dead bodies
// stayed resident for 30-45 s after 20 concurrent 10 MiB uploads. So, when the buffer budget has
// drained after holding enough bytes, one full collection is run once the sidecar has been quiet.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export interface DrainCollectOptions {
  /** Bytes buffered since the last collection below which a drain is left to V8's own pace. */
  threshold: number
  /** How long the budget must stay empty: back-to-back uploads are not interrupted. */
  quietMs: number
  /** At most one collection per this many ms, whatever the traffic. */
  minIntervalMs: number
  collect?: () => void
  now?: () => number
}

export const DRAIN_COLLECT_DEFAULTS: DrainCollectOptions = {
  threshold: 32 * 2 ** 20,
  quietMs: 200,
  minIntervalMs: 2000
}

/** Told of every reservation and of the budget's use after every release; decides when to collect. */
export class DrainCollect {
  #since = 0
  #last = Number.NEGATIVE_INFINITY
  #timer: NodeJS.Timeout | undefined
  readonly #collect: () => void
  readonly #now: () => number

  constructor(private readonly options: DrainCollectOptions = DRAIN_COLLECT_DEFAULTS) {
    this.#collect = options.collect ?? fullCollection
    this.#now = options.now ?? performance.now.bind(performance)
  }

  reserved(bytes: number): void {
    this.#since += bytes
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
  }

  released(used: number): void {
    if (used > 0 || this.#since < this.options.threshold || this.#timer !== undefined) return
    const wait = Math.max(this.options.quietMs, this.#last + this.options.minIntervalMs - this.#now())
    this.#timer = setTimeout(() => this.#run(), wait)
    this.#timer.unref()
  }

  #run(): void {
    this.#timer = undefined
    this.#since = 0
    this.#last = this.#now()
    this.#collect()
  }
}

let gc: (() => void) | undefined

/** V8's full collection, exposed for this one call site without --expose-gc on the command line. */
function fullCollection(): void {
  if (gc === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc
    if (exposed !== undefined) gc = exposed
    else {
      setFlagsFromString('--expose-gc')
      gc = runInNewContext('gc') as () => void
      setFlagsFromString('--no-expose-gc')
    }
  }
  gc()
}
