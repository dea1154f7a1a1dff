// The retry loop on an injected clock, sleep and send: deterministic, no sockets.
import t from 'tap'
import { resolveConfig } from '../../src/config/load.js'
import type { RetryPolicy } from '../../src/config/schema.js'
import { Events } from '../../src/observe/events.js'
import { RetryBudget } from '../../src/retry/budget.js'
import { runWithRetries } from '../../src/retry/run.js'
import type { AttemptResult } from '../../src/upstream/attempt.js'

function policy(retry: Record<string, unknown> = {}): RetryPolicy {
  return resolveConfig({ retry }, { env: {} }).retry
}

type Script = Array<
  { status: number; headers?: Record<string, string> } | { failure: 'reset' | 'timeout' | 'connect-failure' }
>

/** `gone`: the client leaves once the first attempt was sent ('after-send') or during the first wait ('in-wait'). */
function harness(script: Script, options: { sleepOverrun?: number; gone?: boolean | 'in-wait' } = {}) {
  let clock = 0
  let left = false
  const events = new Events()
  const seen: Array<[string, unknown]> = []
  for (const name of ['attempt', 'retry', 'retrySkipped', 'budgetExhausted'] as const) {
    events.on(name, (event: unknown) => seen.push([name, event]))
  }
  const sent: Array<{ attempt: number; perTry: number; at: number }> = []
  const dumped: number[] = []
  const sleeps: number[] = []
  const deps = {
    budget: new RetryBudget({ ratio: 0.2, minPerSecond: 10, window: 10_000 }, () => clock),
    events,
    now: () => clock,
    wallClock: () => 1_700_000_000_000 + clock,
    random: () => 0.5,
    sleep: async (ms: number) => {
      sleeps.push(ms)
      clock += ms + (options.sleepOverrun ?? 0)
      if (options.gone === 'in-wait') left = true
    }
  }
  const send = async (attempt: number, perTry: number): Promise<AttemptResult> => {
    sent.push({ attempt, perTry, at: clock })
    const step = script[Math.min(attempt, script.length) - 1]
    // A timed-out attempt takes its whole per-try timeout; anything else 10 ms.
    clock += step !== undefined && 'failure' in step && step.failure === 'timeout' ? perTry : 10
    if (step === undefined || 'failure' in step) {
      return { kind: 'error', failure: step?.failure ?? 'reset', error: new Error('failed') }
    }
    const body = { dump: async () => void dumped.push(attempt) } as never
    return { kind: 'response', status: step.status, headers: step.headers ?? {}, body }
  }
  const clientGone = () => left || (options.gone === true && sent.length > 0)
  return { deps, send, sent, dumped, sleeps, seen, clientGone }
}

const input = (h: ReturnType<typeof harness>, method: string, retry?: Record<string, unknown>, replayable = true) => ({
  route: 'r',
  requestId: 'q',
  method,
  policy: policy(retry),
  replayable,
  send: h.send,
  clientGone: h.clientGone
})

t.test('503, 503, 200: three attempts, two waits, earlier answers discarded', async (t) => {
  const h = harness([{ status: 503 }, { status: 503 }, { status: 200 }])
  const result = await runWithRetries(input(h, 'POST', { backoff: { base: '100ms', jitter: 'none' } }), h.deps)
  t.equal(result.kind, 'response')
  t.equal(result.attempts, 3)
  t.equal(result.outcome, 'completed')
  t.same(h.sleeps, [100, 200], 'exponential, no jitter')
  t.same(h.dumped, [1, 2], 'the discarded answers freed their connections')
  t.same(
    h.seen.filter(([name]) => name === 'retry').map(([, e]) => (e as { reason: string }).reason),
    ['503', '503']
  )
})

t.test('the per-try timeout shrinks to what is left of the deadline', async (t) => {
  const h = harness([{ failure: 'timeout' }])
  const result = await runWithRetries(
    input(h, 'GET', {
      perTryTimeout: '400ms',
      timeout: '1s',
      maxAttempts: 10,
      backoff: { base: '1ms', jitter: 'none' }
    }),
    h.deps
  )
  t.equal(result.kind, 'error')
  t.equal(result.outcome, 'deadline')
  for (const { perTry, at } of h.sent)
    t.ok(perTry <= 400 && at + perTry <= 1000, `attempt at ${at} bounded by ${perTry}`)
  t.ok(
    h.sent.every(({ at }) => at < 1000),
    'no attempt starts at or after the deadline'
  )
})

t.test('a sleep that overruns the deadline ends the request as a timeout', async (t) => {
  const h = harness([{ status: 503 }, { status: 200 }], { sleepOverrun: 2000 })
  const result = await runWithRetries(input(h, 'GET', { timeout: '1s', perTryTimeout: '500ms' }), h.deps)
  t.equal(h.sent.length, 1, 'no second attempt after the deadline')
  t.equal(result.kind, 'error')
  t.equal(result.kind === 'error' && result.error.code, 'upstream_timeout')
  t.equal(result.outcome, 'deadline')
})

t.test('stops: not retryable, attempts used up, streamed body, client gone', async (t) => {
  const reset = harness([{ failure: 'reset' }])
  t.match(await runWithRetries(input(reset, 'POST'), reset.deps), {
    kind: 'error',
    attempts: 1,
    outcome: 'not_retryable'
  })
  const exhausted = harness([{ status: 503 }])
  t.match(await runWithRetries(input(exhausted, 'GET', { maxAttempts: 2, backoff: { base: '1ms' } }), exhausted.deps), {
    kind: 'response',
    attempts: 2,
    outcome: 'exhausted'
  })
  t.same(exhausted.dumped, [1], 'the last answer is kept for the client')
  const streamed = harness([{ status: 503 }])
  t.match(await runWithRetries(input(streamed, 'GET', {}, false), streamed.deps), {
    attempts: 1,
    outcome: 'body_too_large'
  })
  const gone = harness([{ status: 503 }], { gone: true })
  t.match(await runWithRetries(input(gone, 'GET'), gone.deps), { attempts: 1, outcome: 'aborted' })
  const notFound = harness([{ status: 404 }])
  t.match(await runWithRetries(input(notFound, 'GET'), notFound.deps), { attempts: 1, outcome: 'completed' })
})

t.test('Retry-After: floor for the wait, or too long to wait', async (t) => {
  const floor = harness([{ status: 429, headers: { 'retry-after': '2' } }, { status: 200 }])
  await runWithRetries(input(floor, 'POST', { backoff: { base: '1ms' } }), floor.deps)
  t.same(floor.sleeps, [2000])
  const tooLong = harness([{ status: 503, headers: { 'retry-after': '60' } }])
  const result = await runWithRetries(input(tooLong, 'POST'), tooLong.deps)
  t.match(result, { kind: 'response', attempts: 1, outcome: 'retry_after' })
  const ignored = harness([{ status: 429, headers: { 'retry-after': '60' } }, { status: 200 }])
  await runWithRetries(
    input(ignored, 'POST', { retryAfter: { honour: false }, backoff: { base: '1ms', jitter: 'none' } }),
    ignored.deps
  )
  t.same(ignored.sleeps, [1], 'not honoured: plain backoff')
})

t.test('the budget refuses a retry before any wait', async (t) => {
  const h = harness([{ status: 503 }])
  h.deps.budget = new RetryBudget({ ratio: 0, minPerSecond: 0, window: 10_000 }, () => 0)
  const result = await runWithRetries(input(h, 'GET'), h.deps)
  t.match(result, { kind: 'response', attempts: 1, outcome: 'budget' })
  t.same(h.sleeps, [])
  t.ok(h.seen.some(([name]) => name === 'budgetExhausted'))
})

t.test('a client that leaves gets no attempt: not before the first, not after a wait', async (t) => {
  const inWait = harness([{ status: 503 }, { status: 200 }], { gone: 'in-wait' })
  t.match(await runWithRetries(input(inWait, 'POST', { backoff: { base: '1ms' } }), inWait.deps), {
    kind: 'error',
    error: { code: 'client_closed' },
    attempts: 1,
    outcome: 'aborted'
  })
  t.equal(inWait.sent.length, 1, 'no second attempt after the wait')
  t.same(inWait.seen.at(-1), ['retrySkipped', { route: 'r', requestId: 'q', reason: 'client_gone' }])
  const before = harness([{ status: 200 }])
  const already = { ...input(before, 'POST'), clientGone: () => true }
  t.match(await runWithRetries(already, before.deps), { kind: 'error', attempts: 0, outcome: 'aborted' })
  t.equal(before.sent.length, 0, 'nothing sent for a client already gone')
})
