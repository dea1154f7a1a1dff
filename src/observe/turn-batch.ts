// Log lines written during one turn of the event loop reach pino's stream as one write. Under
// load a turn completes many requests (15 lines per write in the GET bench), and each write to
// pino's asynchronous stream costs byte counts of what it holds, a thread-pool write and its
// callback. Lines are held only until the end of their turn (setImmediate), never for a time, and
// stay in order; a process that exits within the turn writes them synchronously.
import { writeSync } from 'node:fs'
import type { DestinationStream } from 'pino'

/** What the batch needs of pino's sonic-boom stream. */
export interface LineStream extends DestinationStream {
  readonly fd: number
  write(line: string): void
  flushSync(): void
}

export class TurnBatch implements DestinationStream {
  #lines: string[] = []
  #scheduled = false

  constructor(private readonly stream: LineStream) {}

  write(line: string): void {
    this.#lines.push(line)
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(this.#flush)
  }

  readonly #flush = () => {
    this.#scheduled = false
    const lines = this.#take()
    if (lines !== '') this.stream.write(lines)
  }

  #take(): string {
    const lines = this.#lines
    if (lines.length === 0) return ''
    this.#lines = []
    return lines.length === 1 ? (lines[0] as string) : lines.join('')
  }

  /**
   * For the process's 'exit': what the stream holds first (in order), then this turn's lines,
   * written synchronously (a write handed to the stream now would be asynchronous, and lost).
   */
  flushSync(): void {
    const lines = this.#take()
    this.stream.flushSync()
    let rest = Buffer.from(lines)
    for (let tries = 0; rest.length > 0 && tries < 100; tries++) {
      try {
        rest = rest.subarray(writeSync(this.stream.fd, rest))
      } catch (error) {
        // A full non-blocking pipe: try again (the process is exiting; nothing else can run).
        if ((error as { code?: string }).code !== 'EAGAIN') return
      }
    }
  }
}
