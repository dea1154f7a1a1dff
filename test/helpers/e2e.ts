// Pieces shared by the end-to-end scenarios: a fake Didit closed in teardown, metrics read once
// requests have been counted, and checks of the sidecar's problem+json answers.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import { type FakeDidit, startFakeDidit } from '../../src/dev/fake-didit.js'
import type { ClientResponse } from './client.js'
import { sample, type TestSidecar } from './sidecar.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Metric name with the sidecar's prefix. */
export const metric = (name: string) => `didit_sidecar_${name}`

/** Waits that keep a scenario fast; a retry then costs a millisecond or two. */
export const FAST_BACKOFF = { base: '1ms', max: '2ms', jitter: 'full' }

export async function startUpstream(t: Teardown): Promise<FakeDidit> {
  const didit = await startFakeDidit()
  t.teardown(() => didit.close())
  return didit
}

/**
 * The metrics once `requests` requests have been counted. The response event fires when the
 * response has finished on the server, which may be a moment after the client has read it.
 */
export async function metricsAfter(sidecar: TestSidecar, requests: number, timeoutMs = 3000): Promise<string> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const text = await sidecar.metrics()
    if (sample(text, metric('requests_total')) >= requests || Date.now() > until) return text
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

/** Asserts the sidecar's own problem+json answer: status (also in the body), content type and stable code. */
export function assertProblem(t: Test, response: ClientResponse, status: number, code: string, what = ''): void {
  const problem = problemOf(response)
  const prefix = what === '' ? '' : `${what}: `
  t.equal(response.status, status, `${prefix}status ${status}`)
  t.match(problem.contentType, /^application\/problem\+json/, `${prefix}problem+json`)
  t.equal(problem.code, code, `${prefix}code ${code}`)
  t.equal(problem.status, status, `${prefix}the body names the same status`)
}
