// Shared pieces of the retry scenarios: a fake Didit closed in teardown, metrics read once the
// request has been counted, problem+json bodies, and an address that refuses connections.
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import { type FakeDidit, startFakeDidit } from '../../src/dev/fake-didit.js'
import type { ClientResponse } from '../helpers/client.js'
import { sample, type TestSidecar } from '../helpers/sidecar.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Metric name with the sidecar's prefix. */
export const metric = (name: string) => `didit_sidecar_${name}`

/** Waits that keep a scenario fast; a retry then costs a millisecond or two. */
export const FAST_BACKOFF = { base: '1ms', max: '2ms', jitter: 'full' }

/** UUID version 4 (RFC 9562 §5.4), lower-case as crypto.randomUUID() writes it. */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

export async function startUpstream(t: Teardown): Promise<FakeDidit> {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  return didit
}

/**
 * The metrics once `requests` requests have been counted. The response event fires when the
 * response has finished on the server, which may be a moment after the client has read it.
 */
export async function metricsAfter(sidecar: TestSidecar, requests: number, timeoutMs = 2000): Promise<string> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const text = await sidecar.metrics()
    if (sample(text, metric('requests_total')) >= requests || Date.now() > until) return text
    await sleep(5)
  }
}

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

export interface ProblemBody {
  code?: string
  status?: number
  contentType?: string
}

/** The problem+json body of a sidecar error, with its content type. */
export function problemOf(response: ClientResponse): ProblemBody {
  const contentType = String(response.headers['content-type'] ?? '')
  try {
    return { ...(JSON.parse(response.body.toString()) as ProblemBody), contentType }
  } catch {
    return { contentType }
  }
}

/** Asserts the sidecar's own problem+json answer: status, content type and stable code. */
export function assertProblem(t: Test, response: ClientResponse, status: number, code: string): void {
  const problem = problemOf(response)
  t.equal(response.status, status, `status ${status}`)
  t.match(problem.contentType, /^application\/problem\+json/, 'problem+json')
  t.equal(problem.code, code, `code ${code}`)
  t.equal(problem.status, status, 'the body names the same status')
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
