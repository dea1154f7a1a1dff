// The sliding-window log on an injected clock: exact (never more than `limit` in any window),
// first come first served, pauses honoured, and the limit that decided named.
import t from 'tap'
import type { SlotLimit } from '../../src/ratelimit/limits.js'
import { earliestSlot, type LimitLog, prune } from '../../src/ratelimit/window.js'

const limit = (name: string, count: number, window: number): SlotLimit => ({ name, limit: count, window })
const log = (l: SlotLimit, entries: number[], pausedUntil = 0): LimitLog => ({ limit: l, entries, pausedUntil })

t.test('free at once while fewer than `limit` slots lie in the window', async (t) => {
  t.same(earliestSlot([log(limit('w', 3, 1000), [100, 200])], 500), { at: 500, decidedBy: null })
  t.same(earliestSlot([], 500), { at: 500, decidedBy: null }, 'no limit: free')
})

t.test('full: the next slot frees when the oldest counted one leaves the window', async (t) => {
  t.same(earliestSlot([log(limit('w', 2, 1000), [100, 200])], 500), { at: 1100, decidedBy: 'w' })
  t.same(earliestSlot([log(limit('w', 2, 1000), [100, 200, 1100])], 500), { at: 1200, decidedBy: 'w' })
})

t.test('never before the latest slot taken: waiters are served in order', async (t) => {
  // A reservation at 900 (a waiter); a later arrival with room in the window still queues behind it.
  t.same(earliestSlot([log(limit('w', 5, 1000), [100, 900])], 500), { at: 900, decidedBy: 'w' })
})

t.test('a pause from Didit holds every slot until it ends', async (t) => {
  t.same(earliestSlot([log(limit('w', 5, 1000), [], 2500)], 500), { at: 2500, decidedBy: 'w' })
  t.same(earliestSlot([log(limit('w', 5, 1000), [], 400)], 500), { at: 500, decidedBy: null }, 'a past pause')
})

t.test('several limits: the latest of them decides, and is named', async (t) => {
  const own = log(limit('route:pdf', 1, 2000), [300])
  const shared = log(limit('reads', 2, 1000), [100, 200])
  t.same(earliestSlot([own, shared], 500), { at: 2300, decidedBy: 'route:pdf' })
  t.same(earliestSlot([log(limit('route:pdf', 5, 2000), [300]), shared], 500), { at: 1100, decidedBy: 'reads' })
})

t.test('prune keeps what still counts at or after now', async (t) => {
  t.same(prune([100, 200, 300], 1200, 1000), [300])
  t.same(prune([100, 200], 1200, 1000), [], 'an entry exactly one window old no longer counts')
  t.same(prune([], 0, 1000), [])
})

t.test('exact: taking every slot as soon as it frees never puts more than `limit` in any window', async (t) => {
  const l = limit('w', 3, 1000)
  const all: number[] = []
  let entries: number[] = []
  // Arrivals every 70 ms for 5 s, each taking the earliest slot (waits are allowed).
  for (let now = 0; now < 5000; now += 70) {
    entries = prune(entries, now, l.window)
    const { at } = earliestSlot([log(l, entries)], now)
    if (at < now) t.fail(`a slot in the past: ${at} < ${now}`)
    entries.push(at)
    all.push(at)
  }
  t.equal(all.length, 72)
  for (const start of all) {
    const inWindow = all.filter((at) => at >= start && at < start + l.window).length
    if (inWindow > l.limit) t.fail(`${inWindow} slots in [${start}, ${start + l.window})`)
  }
  t.same(
    all,
    [...all].sort((a, b) => a - b),
    'handed out in arrival order'
  )
})
