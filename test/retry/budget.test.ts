import t from 'tap'
import { type BudgetOptions, RetryBudget } from '../../src/retry/budget.js'

const WINDOW = 10_000
const LINKERD: BudgetOptions = { ratio: 0.2, minPerSecond: 10, window: WINDOW } // reserve: 10/s · 10 s = 100

/** A budget on a fake clock that only moves when a test moves it. */
function fakeBudget(options: BudgetOptions, start = 0) {
  let time = start
  const budget = new RetryBudget(options, () => time)
  const advance = (ms: number) => {
    time += ms
  }
  return { budget, advance }
}

function drain(budget: RetryBudget): number {
  let granted = 0
  while (budget.withdraw()) granted++
  return granted
}

t.test('N deposits in one window allow N · ratio + minPerSecond · window withdrawals', async (t) => {
  const { budget, advance } = fakeBudget(LINKERD)
  for (let i = 0; i < 50; i++) {
    budget.deposit()
    advance(100)
  }
  t.equal(budget.available(), 110)
  t.equal(drain(budget), 110, '50 · 0.2 + 100')
  t.equal(budget.available(), 0)
  t.equal(budget.withdraw(), false)
})

t.test('under 100% failure, interleaved retries stay within the same bound', async (t) => {
  const { budget, advance } = fakeBudget(LINKERD)
  let granted = 0
  for (let i = 0; i < 800; i++) {
    budget.deposit()
    for (let retry = 0; retry < 3 && budget.withdraw(); retry++) granted++
    advance(5)
  }
  t.equal(granted, 800 * 0.2 + 100)
})

t.test('available() may be fractional and withdraw() needs a whole retry', async (t) => {
  const { budget } = fakeBudget({ ratio: 0.2, minPerSecond: 0, window: WINDOW })
  for (let i = 0; i < 3; i++) budget.deposit()
  t.ok(Math.abs(budget.available() - 0.6) < 1e-9)
  t.equal(budget.withdraw(), false)
  budget.deposit()
  budget.deposit()
  t.equal(budget.withdraw(), true, '5 · 0.2 makes one retry despite float rounding')
  t.equal(budget.withdraw(), false)
})

t.test('deposits and withdrawals expire once the window has passed', async (t) => {
  const { budget, advance } = fakeBudget({ ratio: 0.5, minPerSecond: 0, window: WINDOW })
  for (let i = 0; i < 10; i++) budget.deposit()
  advance(WINDOW - 1)
  t.equal(budget.available(), 5, 'still counted just before the window ends')
  advance(1)
  t.equal(budget.available(), 0, 'gone once it has')
  t.equal(budget.withdraw(), false)
  budget.deposit()
  budget.deposit()
  t.equal(drain(budget), 1, 'granted again only after new deposits')
})

t.test('slots expire one at a time', async (t) => {
  const { budget, advance } = fakeBudget({ ratio: 1, minPerSecond: 0, window: WINDOW })
  budget.deposit() // at 0 s
  advance(5_000)
  budget.deposit() // at 5 s
  t.equal(budget.available(), 2)
  advance(5_000)
  t.equal(budget.available(), 1, 'at 10 s the first has expired, the second has not')
  advance(5_000)
  t.equal(budget.available(), 0)
})

t.test('the floor refills per window as withdrawals expire', async (t) => {
  const { budget, advance } = fakeBudget(LINKERD)
  t.equal(drain(budget), 100, 'the floor alone allows minPerSecond · window')
  advance(WINDOW / 2)
  t.equal(drain(budget), 0, 'not while those withdrawals are in the window')
  advance(WINDOW / 2)
  t.equal(drain(budget), 100, 'again once they have left it')
})

t.test('a long clock jump neither grows memory nor breaks the budget', async (t) => {
  const { budget, advance } = fakeBudget({ ratio: 0.5, minPerSecond: 0, window: 1 }, 1e15)
  const size = () =>
    Object.values(budget).reduce((total: number, value) => total + (Array.isArray(value) ? value.length : 1), 0)
  const before = size()
  budget.deposit()
  budget.deposit()
  advance(1e15) // 1e16 slot lengths: a loop per slot would never finish
  t.equal(budget.available(), 0, 'everything before the jump has expired')
  budget.deposit()
  budget.deposit()
  t.equal(drain(budget), 1)
  t.equal(size(), before)
  for (let i = 0; i < 5; i++) advance(0.05) // half a window (0.1 ms slots)
  t.equal(budget.available(), 0, 'the withdrawal still counts against those deposits')
})

t.test('a clock that goes back keeps what was counted', async (t) => {
  const { budget, advance } = fakeBudget({ ratio: 1, minPerSecond: 0, window: WINDOW })
  advance(5_000)
  budget.deposit()
  advance(-60_000)
  t.equal(budget.available(), 1)
  budget.deposit()
  advance(60_000 + WINDOW)
  t.equal(budget.available(), 0)
})

t.test('ratio 0 and floor 0 never grant; a zero window counts only the instant', async (t) => {
  const { budget, advance } = fakeBudget({ ratio: 0, minPerSecond: 0, window: WINDOW })
  for (let i = 0; i < 1_000; i++) {
    budget.deposit()
    t.equal(budget.withdraw(), false)
    advance(7)
  }
  t.equal(budget.available(), 0)
  const zero = fakeBudget({ ratio: 1, minPerSecond: 10, window: 0 })
  zero.budget.deposit()
  t.equal(drain(zero.budget), 1, 'a 0 ms window is taken as 1 ms: 1 · 1 + 10/s · 1 ms')
  zero.advance(1)
  t.equal(zero.budget.available(), 0.01)
})

t.test('simulation: 1000 failing requests over 10 s, maxAttempts 4', async (t) => {
  const { budget, advance } = fakeBudget(LINKERD)
  let attempts = 0
  for (let request = 0; request < 1_000; request++) {
    budget.deposit()
    attempts++
    for (let attempt = 2; attempt <= 4 && budget.withdraw(); attempt++) attempts++
    advance(10) // requests at 0, 10, ..., 9990 ms
  }
  // The run lies within the first window, whose slots start with the budget's clock, so nothing
  // expires before it ends and no slack is needed. A run straddling a slot boundary could, near
  // its end, see its first slot's withdrawals expire and be granted up to one more floor (as tower).
  t.ok(attempts <= 1_000 * (1 + 0.2) + 10 * 10, `${attempts} attempts`)
  t.equal(attempts, 1_300, 'and the budget is spent in full')
  t.ok(attempts < 1_000 * 4, 'a fixed count alone would have sent 4000')
})
