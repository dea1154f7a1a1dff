// The body of an answer nobody will see (one that is retried): read and dropped so that its
// connection can be reused, but never for longer than `timeoutMs` (the request's deadline) nor
// past DISCARD_LIMIT bytes (then the connection is closed instead).
import type { Dispatcher } from 'undici'

/** undici's own default for dump(): reading more costs more than a new connection. */
const DISCARD_LIMIT = 128 * 1024

/** Resolves with 'cut' when the timer ended the dump, else 'drained' (read to its end or past the limit). */
export async function discardBody(
  body: Dispatcher.ResponseData['body'],
  timeoutMs: number
): Promise<'drained' | 'cut'> {
  const signal = AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs)))
  try {
    await body.dump({ limit: DISCARD_LIMIT, signal })
    return 'drained'
  } catch {
    return signal.aborted ? 'cut' : 'drained'
  }
}
