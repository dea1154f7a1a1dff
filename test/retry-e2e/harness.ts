// Shared pieces of the retry scenarios: a fake Didit closed in teardown, metrics read once the
// request has been counted, problem+json bodies, and an address that refuses connections.
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TestSidecar } from '../helpers/sidecar.js'

export { assertProblem, FAST_BACKOFF, metric, metricsAfter, problemOf, startUpstream } from '../helpers/e2e.js'

/** UUID version 4 (RFC 9562 §5.4), lower-case as crypto.randomUUID() writes it. */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** Log lines once `predicate` holds for one of them (or the timeout passed). */
export async function logsWhen(
  sidecar: TestSidecar,
  predicate: (line: Record<string, unknown>) => boolean,
  timeoutMs = 2000
): Promise<Array<Record<string, unknown>>> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const lines = sidecar.logs()
    if (lines.some(predicate) || Date.now() > until) return lines
    await sleep(5)
  }
}

/** A loopback URL where nothing listens: a port that was just bound and released. */
export async function refusingUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening')
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${address.port}`
}
