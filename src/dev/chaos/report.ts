// The run's summary: a table for the terminal and for docs/reliability.md, and the violations.

import { shouldResend } from './driver.js'
import { causeOf, type Effect, isCutStall, mib } from './invariants.js'
import { total } from './metrics-text.js'
import type { ChaosOptions, ChaosResult } from './run.js'

export type Row = [string, string]

export function summaryRows(result: ChaosResult, options: ChaosOptions): Row[] {
  const { observed } = result
  const { sends } = observed
  const all = observed.sidecars.flatMap((s) => s.samples)
  const logical = new Set(sends.map((s) => s.logical)).size
  const keyed = new Set(sends.filter((s) => s.key !== undefined).map((s) => s.logical)).size
  const effects = new Map<string, Effect[]>()
  for (const e of observed.effects) effects.set(e.id, [...(effects.get(e.id) ?? []), e])
  const duplicated = [...effects.values()].filter((list) => list.length > 1)
  const causes = duplicated.map(
    (list) =>
      causeOf(
        list,
        sends.filter((s) => s.logical === list[0]?.id)
      ).kind
  )
  const whileOpen = causes.filter((kind) => kind === 'while-open').length
  const cut = sends.filter((s) => isCutStall(s, observed.stalled)).length
  const lost = sends.filter((s) => !s.complete).length - cut
  const lostStalled = sends.filter((s) => !s.complete && observed.stalled.has(s.send)).length - cut
  const lastOf = new Map(sends.filter((s) => s.key !== undefined).map((s) => [s.logical, s]))
  const unresolved = [...lastOf.values()].filter(shouldResend).length
  const late = sends.filter((s) => s.complete && s.endedAt - s.startedAt > s.deadlineMs).length
  const slowest = sends.reduce(
    (worst, s) =>
      s.endedAt - s.startedAt - s.deadlineMs > worst.endedAt - worst.startedAt - worst.deadlineMs ? s : worst,
    sends[0] as (typeof sends)[number]
  )
  const statuses = new Map<string, number>()
  for (const s of sends) {
    const label = s.complete
      ? `${s.status}${s.problem ? ` ${s.problem}` : ''}${s.replayed ? ' (replayed)' : ''}`
      : 'no answer'
    statuses.set(label, (statuses.get(label) ?? 0) + 1)
  }
  const faults = [...result.faults.entries()].filter(([kind]) => kind !== 'none').sort(([a], [b]) => a.localeCompare(b))
  const violations = new Map<string, number>()
  for (const v of result.violations) violations.set(v.invariant, (violations.get(v.invariant) ?? 0) + 1)
  return [
    ['seed', String(options.seed)],
    ['logical requests (keyed)', `${logical} (${keyed})`],
    ['client sends (duplicates and client retries included)', String(sends.length)],
    ['concurrency', String(options.concurrency)],
    ['run time', `${(result.wallMs / 1000).toFixed(1)} s`],
    ['upstream arrivals at the fake Didit', String(observed.arrivals)],
    ...faults.map(([kind, n]): Row => [`fault: ${kind}`, String(n)]),
    ...result.outages.map(
      (o): Row => [`outage: ${o.kind}`, `at +${(o.startedAt / 1000).toFixed(1)} s${o.ms ? `, ${o.ms} ms` : ''}`]
    ),
    ['upstream attempts (both sidecars)', String(total(all, 'didit_sidecar_upstream_attempts_total'))],
    ['retries', String(total(all, 'didit_sidecar_retries_total'))],
    ['retries refused by the budget', String(total(all, 'didit_sidecar_retry_budget_exhausted_total'))],
    ['side effects (billable, at the fake Didit)', String(observed.effects.length)],
    [
      'logical requests with duplicate side effects',
      `${duplicated.length} (${whileOpen} while the first send was still open, ${duplicated.length - whileOpen} after it ended)`
    ],
    ['responses cut in time after a stalled upstream body', String(cut)],
    ['sends lost (no complete answer otherwise)', `${lost} (${lostStalled} of them on a stalled upstream body)`],
    ['keyed requests still unanswered after their last send (409, 429, 503, none)', String(unresolved)],
    ['sends answered late', String(late)],
    [
      'slowest answer vs its deadline',
      slowest === undefined
        ? '-'
        : `${Math.round(slowest.endedAt - slowest.startedAt)} ms vs ${slowest.deadlineMs} ms (${slowest.send}${slowest.complete ? '' : ', no answer'})`
    ],
    ...[...statuses.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([label, n]): Row => [`answer: ${label}`, String(n)]),
    ...observed.sidecars.flatMap(({ name, before, warm, after }): Row[] => [
      [
        `sidecar ${name} RSS idle / at 10 % / after`,
        `${mib(before.rssBytes)} / ${mib(warm.rssBytes)} / ${mib(after.rssBytes)}`
      ],
      [`sidecar ${name} open fds before / after`, `${before.fds} / ${after.fds}`]
    ]),
    [
      'invariant violations',
      result.violations.length === 0 ? 'none' : [...violations].map(([k, n]) => `${k}: ${n}`).join(', ')
    ]
  ]
}

export function textTable(rows: readonly Row[]): string {
  const width = Math.max(...rows.map(([name]) => name.length))
  return rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`).join('\n')
}

/** docs/reliability.md: how the run works, its table, and the first violations of each kind. */
export function reliabilityDoc(result: ChaosResult, options: ChaosOptions, rows: readonly Row[]): string {
  const shown = new Map<string, string[]>()
  for (const v of result.violations) {
    const list = shown.get(v.invariant) ?? []
    if (list.length < 10) list.push(v.detail)
    shown.set(v.invariant, list)
  }
  const violations =
    shown.size === 0
      ? 'None.\n'
      : [...shown].map(([kind, list]) => `### ${kind}\n\n${list.map((d) => `- ${d}`).join('\n')}\n`).join('\n')
  return `# Reliability under faults

Generated by \`npm run chaos\` (\`src/dev/chaos.ts\`) on ${new Date().toISOString().slice(0, 10)}; do not edit by hand.
A shortened run of the same suite is part of \`npm test\` (\`test/chaos/chaos.test.ts\`).

Two sidecars (the real CLI, as child processes) share one redis-server and forward to the fake Didit.
${options.concurrency} clients send ${options.requests} logical requests (${Math.round(options.keyedShare * 100)} % of POSTs with a
client \`Idempotency-Key\`, ${Math.round(options.duplicateShare * 100)} % of those sent by two client instances at once, one to each
sidecar, each resending on its own); a keyed request is sent again, with the same key, after 409, 429, 503, an unreachable upstream or no answer at all
(never after an ambiguous 502/504 or a response cut after its head: those may have been billed). A seeded
plan gives ${Math.round(options.faultRatio * 100)} % of upstream arrivals a fault (503, 429 with Retry-After: 1, a reset before the request
is read, a reset after it was processed, an answer slower than perTryTimeout, a body that stalls after the head).
Redis is paused (SIGSTOP) twice and restarted once; the fake Didit's listener goes away and comes back twice.

Checked after the run: every send gets a complete answer within its deadline (the route's timeout, or
waitTimeout if longer, + 2 x store timeout + ${options.marginMs} ms); no logical request causes two billable effects at the
fake Didit; per sidecar and route, retries <= 2 x ratio x forwarded + windows x minPerSecond x window and
attempts <= maxAttempts x forwarded; the sidecars' requests_total and upstream_attempts_total equal what the
clients and the fake Didit saw; each sidecar's open descriptors come back to their idle baseline (tolerance
${options.tolerance.fds}) and its RSS to what it was at 10 % of the run (tolerance ${mib(options.tolerance.rssBytes)}).

| measure | value |
| --- | --- |
${rows.map(([name, value]) => `| ${name} | ${value} |`).join('\n')}

## Violations (first 10 of each kind)

${violations}`
}
