import t from 'tap'
import { planWait, type WaitInput } from '../../src/retry/wait.js'

const input = (changes: Partial<WaitInput>): WaitInput => ({
  backoff: 200,
  retryAfter: null,
  honourRetryAfter: true,
  retryAfterMax: 30_000,
  now: 1_000,
  deadline: 61_000,
  ...changes
})

t.test('without Retry-After the wait is the backoff', async (t) => {
  t.same(planWait(input({})), { wait: 200 })
})

t.test('Retry-After is a floor on the backoff', async (t) => {
  t.same(planWait(input({ retryAfter: 2_000 })), { wait: 2_000 })
  t.same(planWait(input({ retryAfter: 50 })), { wait: 200 }, 'a shorter Retry-After keeps the backoff')
  t.same(planWait(input({ retryAfter: 30_000 })), { wait: 30_000 }, 'exactly the maximum is honoured')
})

t.test('a Retry-After above the maximum gives up', async (t) => {
  t.same(planWait(input({ retryAfter: 30_001 })), { giveUp: 'retry-after' })
})

t.test('Retry-After is ignored when not honoured', async (t) => {
  t.same(planWait(input({ retryAfter: 2_000, honourRetryAfter: false })), { wait: 200 })
  t.same(planWait(input({ retryAfter: 99_000, honourRetryAfter: false })), { wait: 200 })
})

t.test('no attempt starts at or after the deadline', async (t) => {
  t.same(planWait(input({ deadline: 1_201 })), { wait: 200 }, 'one ms to spare')
  t.same(planWait(input({ deadline: 1_200 })), { giveUp: 'deadline' }, 'exactly at the deadline')
  t.same(planWait(input({ retryAfter: 10_000, deadline: 5_000 })), { giveUp: 'deadline' }, 'Retry-After past it')
})
