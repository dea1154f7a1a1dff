// Why a budget and not only a retry count: during an outage a fixed count multiplies the load on
// the failing upstream by maxAttempts, exactly when it can least take it. A budget caps retries at
// a fraction of real traffic plus a small floor, so an outage costs at most (1 + ratio) times the
// load, while a rare failure on a quiet route can still be retried. This is tower's `TpsBudget`,
// Finagle's `RetryBudget` and Linkerd's retryRatio + minRetriesPerSecond + ttl.
//
// Counts live in SLOTS slots of window / SLOTS ms. The open slot is kept apart (tower's `writer`);
// closed slots sit in a fixed ring, so memory is constant however long it runs or the clock jumps.
// A count lives while its slot is one of the last SLOTS, i.e. between window·9/10 and window.

export interface BudgetOptions {
  ratio: number
  minPerSecond: number
  window: number
}

const SLOTS = 10
// ratio × deposits is one float product: allow for its last-bit error at whole numbers.
const EPSILON = 1e-9

export class RetryBudget {
  private readonly ratio: number
  private readonly reserve: number
  private readonly slotLength: number
  private readonly start: number
  private readonly now: () => number
  private readonly closedDeposits = new Array<number>(SLOTS - 1).fill(0)
  private readonly closedWithdrawals = new Array<number>(SLOTS - 1).fill(0)
  private next = 0 // where the open slot goes in the ring when it closes
  private epoch = 0 // the open slot's number, counted from construction
  private deposits = 0
  private withdrawals = 0

  constructor(options: BudgetOptions, now: () => number) {
    // A zero window would make zero-length slots; 1 ms is as short as it gets.
    const window = Math.max(1, options.window)
    this.ratio = options.ratio
    this.reserve = (options.minPerSecond * window) / 1000
    this.slotLength = window / SLOTS
    this.now = now
    this.start = now()
  }

  /** A first attempt: earns `ratio` of a retry. */
  deposit(): void {
    this.advance()
    this.deposits += 1
  }

  /** A retry: takes one if available; false means the budget refuses the retry. */
  withdraw(): boolean {
    if (this.available() < 1 - EPSILON) return false
    this.withdrawals += 1
    return true
  }

  /** Retries that withdraw() would grant right now (may be fractional; for tests and a gauge). */
  available(): number {
    this.advance()
    const deposits = this.deposits + sum(this.closedDeposits)
    const withdrawals = this.withdrawals + sum(this.closedWithdrawals)
    return Math.max(0, this.ratio * deposits + this.reserve - withdrawals)
  }

  // Close the open slot once per slot length passed; after SLOTS of them every count is gone,
  // so a longer jump costs no more. A clock that goes back leaves the slots as they are.
  private advance(): void {
    const epoch = Math.floor((this.now() - this.start) / this.slotLength)
    const steps = Math.min(epoch - this.epoch, SLOTS)
    for (let step = 0; step < steps; step++) {
      this.closedDeposits[this.next] = this.deposits
      this.closedWithdrawals[this.next] = this.withdrawals
      this.deposits = 0
      this.withdrawals = 0
      this.next = (this.next + 1) % (SLOTS - 1)
    }
    this.epoch = Math.max(this.epoch, epoch)
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0)
}
