// The chaos run's guarantees, checked as pure functions over what was recorded: the clients' sends,
// the fake Didit's side effects and arrivals, and each sidecar's metrics and resources. Each
// violation names what broke it (key, send, sidecar) and by how much.
import type { Config } from '../../config/schema.js'
import type { SendRecord } from './driver.js'
import { type Sample, total } from './metrics-text.js'
import { policyOf } from './setup.js'
import type { Resources } from './sidecars.js'

export type Invariant = 'deadline' | 'single-effect' | 'budget' | 'metrics' | 'resources'

export interface Violation {
  invariant: Invariant
  detail: string
}

export interface Effect {
  /** Logical request id. */
  id: string
  /** The send that carried it (x-chaos-send), as forwarded by a sidecar. */
  send: string
  /** ms since the run began. */
  at: number
}

export interface SidecarObservation {
  name: string
  samples: Sample[]
  /** Idle, right after start: the descriptors' baseline. */
  before: Resources
  /** Under load, once a tenth of the run is done: the memory baseline (heap grown to its working size). */
  warm: Resources
  after: Resources
}

export interface Observed {
  config: Config
  sends: SendRecord[]
  effects: Effect[]
  /** Sends one of whose upstream attempts got a stalled body. */
  stalled: ReadonlySet<string>
  /** Warm-up GETs before the run, all answered 200 (counted by the sidecars and the fake Didit). */
  warmUp: number
  /** Requests whose head reached the fake Didit. */
  arrivals: number
  /** Idle upstream connections reset when the listener went away (a request may have been on its way). */
  idleCut: number
  sidecars: SidecarObservation[]
  /** From the sidecars' start to the metrics scrape. */
  durationMs: number
}

export interface Tolerances {
  fds: number
  rssBytes: number
}

const SIDECAR = ['A', 'B']
const where = (send: SendRecord) =>
  `send ${send.send}${send.key ? ` (key ${send.key})` : ''}, route ${send.route}, sidecar ${SIDECAR[send.sidecar]}`

/**
 * Every send gets a complete answer within its deadline. Once a head is forwarded the sidecar cannot
 * take it back, so a response cut before the deadline is an answer when the upstream body stalled.
 */
export function checkDeadlines(sends: readonly SendRecord[], stalled: ReadonlySet<string>): Violation[] {
  const violations: Violation[] = []
  for (const send of sends) {
    const took = Math.round(send.endedAt - send.startedAt)
    if (isCutStall(send, stalled)) continue
    if (!send.complete)
      violations.push({
        invariant: 'deadline',
        detail: `${where(send)}: no complete answer (${send.error}${send.status ? ` after a ${send.status} head` : ''}) after ${took} ms, deadline ${send.deadlineMs} ms`
      })
    else if (took > send.deadlineMs)
      violations.push({
        invariant: 'deadline',
        detail: `${where(send)}: ${send.status} answered ${took - send.deadlineMs} ms late (${took} ms, deadline ${send.deadlineMs} ms)`
      })
  }
  return violations
}

/** A response cut short, in time, because the upstream body it streamed stalled. */
export function isCutStall(send: SendRecord, stalled: ReadonlySet<string>): boolean {
  return (
    !send.complete &&
    send.status !== undefined &&
    stalled.has(send.send) &&
    send.endedAt - send.startedAt <= send.deadlineMs
  )
}

/** No logical request (one key, or one keyless send) causes two billable effects upstream. */
export function checkEffects(sends: readonly SendRecord[], effects: readonly Effect[]): Violation[] {
  const byId = new Map<string, Effect[]>()
  for (const effect of effects) byId.set(effect.id, [...(byId.get(effect.id) ?? []), effect])
  const sendsOf = new Map<string, SendRecord[]>()
  for (const send of sends) sendsOf.set(send.logical, [...(sendsOf.get(send.logical) ?? []), send])
  const violations: Violation[] = []
  for (const [id, list] of byId) {
    if (list.length < 2) continue
    const first = list[0] as Effect
    const effectsAt = list.map((e) => `${e.send} at +${Math.round(e.at - first.at)} ms`).join(', ')
    const mine = sendsOf.get(id) ?? []
    const key = mine[0]?.key
    const answers = mine
      .map((s) => `${s.send} via ${SIDECAR[s.sidecar]} at ${Math.round(s.startedAt)} ms: ${answerOf(s)}`)
      .join('; ')
    violations.push({
      invariant: 'single-effect',
      detail: `${id} (${key === undefined ? 'no client key' : `key ${key}`}, route ${mine[0]?.route}): ${list.length} side effects (${effectsAt}); ${causeOf(list, mine).text}; sends: ${answers}`
    })
  }
  return violations
}

/**
 * Which way the key let a second request through: it was processed while the send that caused the
 * first effect was still open (its claim lost under a live owner), or after that send had ended with
 * an answer that released the key.
 */
export function causeOf(effects: readonly Effect[], sends: readonly SendRecord[]): Cause {
  const [firstEffect, secondEffect] = effects
  const [first, second] = effects.map((e) => sends.find((s) => s.send === e.send))
  if (first === undefined || second === undefined || secondEffect === undefined || firstEffect === undefined)
    return { kind: 'unknown', text: 'cause unknown' }
  if (first === second) return { kind: 'same-send', text: `${first.send} went upstream twice` }
  if (secondEffect.at < first.endedAt)
    return { kind: 'while-open', text: `${second.send} was processed while ${first.send} was still open` }
  return { kind: 'after-end', text: `${second.send} was processed after ${first.send} ended with ${answerOf(first)}` }
}

export interface Cause {
  kind: 'while-open' | 'after-end' | 'same-send' | 'unknown'
  text: string
}

function answerOf(send: SendRecord): string {
  const took = Math.round(send.endedAt - send.startedAt)
  const status = send.status === undefined ? 'no answer' : `${send.status}${send.problem ? ` ${send.problem}` : ''}`
  return `${status}${send.complete ? '' : ` cut (${send.error})`}${send.replayed ? ' replayed' : ''} in ${took} ms`
}

/**
 * Per sidecar and route: attempts <= maxAttempts x forwarded requests, and retries within the budget.
 * The budget counts a withdrawal against the deposits of the last 0.9-1 window, so over intervals of
 * 0.9 window, retries in one interval <= ratio x deposits of it and the one before + the reserve;
 * summed: retries <= 2 x ratio x forwarded + intervals x minPerSecond x window.
 */
export function checkBudget(observed: Observed): Violation[] {
  const violations: Violation[] = []
  for (const sidecar of observed.sidecars) {
    const routes = new Set(
      sidecar.samples.filter((s) => s.name === 'didit_sidecar_requests_total').map((s) => s.labels.route as string)
    )
    for (const route of routes) {
      const { budget, maxAttempts } = policyOf(observed.config, route)
      const forwarded = total(
        sidecar.samples,
        'didit_sidecar_requests_total',
        (l) => l.route === route && l.outcome !== 'replayed' && l.outcome !== 'rejected'
      )
      const retries = total(sidecar.samples, 'didit_sidecar_retries_total', (l) => l.route === route)
      const attempts = total(sidecar.samples, 'didit_sidecar_upstream_attempts_total', (l) => l.route === route)
      const intervals = Math.ceil(observed.durationMs / (0.9 * budget.window))
      const bound = 2 * budget.ratio * forwarded + (intervals * budget.minPerSecond * budget.window) / 1000
      const at = `sidecar ${sidecar.name}, route ${route}`
      if (retries > bound)
        violations.push({
          invariant: 'budget',
          detail: `${at}: ${retries} retries > bound ${bound.toFixed(1)} (${forwarded} forwarded, ${intervals} windows)`
        })
      if (attempts > maxAttempts * forwarded)
        violations.push({
          invariant: 'budget',
          detail: `${at}: ${attempts} attempts > maxAttempts ${maxAttempts} x ${forwarded} forwarded`
        })
    }
  }
  return violations
}

/** The sidecars' counters agree with what the clients and the fake Didit saw. */
export function checkMetrics(observed: Observed): Violation[] {
  const violations: Violation[] = []
  const all = observed.sidecars.flatMap((s) => s.samples)
  const requests = total(all, 'didit_sidecar_requests_total')
  if (requests !== observed.sends.length + observed.warmUp)
    violations.push({
      invariant: 'metrics',
      detail: `requests_total ${requests} != ${observed.sends.length} client sends + ${observed.warmUp} warm-up`
    })
  const byCode = new Map<string, number>(observed.warmUp > 0 ? [['200', observed.warmUp]] : [])
  for (const send of observed.sends)
    if (send.complete) byCode.set(String(send.status), (byCode.get(String(send.status)) ?? 0) + 1)
  const codes = new Set([
    ...byCode.keys(),
    ...all.filter((s) => s.name === 'didit_sidecar_requests_total' && s.value > 0).map((s) => s.labels.code as string)
  ])
  for (const code of [...codes].sort()) {
    const counted = total(all, 'didit_sidecar_requests_total', (l) => l.code === code && l.outcome !== 'aborted')
    const seen = byCode.get(code) ?? 0
    if (counted !== seen)
      violations.push({
        invariant: 'metrics',
        detail: `requests_total{code="${code}"} (not aborted) ${counted} != ${seen} complete answers (warm-up included)`
      })
  }
  const attempts = total(all, 'didit_sidecar_upstream_attempts_total', (l) => l.result !== 'connect-failure')
  const { arrivals, idleCut } = observed
  if (attempts < arrivals || attempts > arrivals + idleCut)
    violations.push({
      invariant: 'metrics',
      detail: `upstream_attempts_total (not connect-failure) ${attempts}, fake Didit saw ${arrivals} (+ up to ${idleCut} on connections cut while idle)`
    })
  return violations
}

/**
 * Open descriptors of each sidecar come back to their idle baseline after the run, and its resident
 * memory to what it was under load early in the run (a leak keeps growing past it).
 */
export function checkResources(sidecars: readonly SidecarObservation[], tolerance: Tolerances): Violation[] {
  const violations: Violation[] = []
  for (const { name, before, warm, after } of sidecars) {
    if (after.fds > before.fds + tolerance.fds)
      violations.push({
        invariant: 'resources',
        detail: `sidecar ${name}: ${after.fds} open descriptors after the run, ${before.fds} before (tolerance ${tolerance.fds})`
      })
    if (after.rssBytes > warm.rssBytes + tolerance.rssBytes)
      violations.push({
        invariant: 'resources',
        detail: `sidecar ${name}: RSS ${mib(after.rssBytes)} after the run, ${mib(warm.rssBytes)} early in it (tolerance ${mib(tolerance.rssBytes)})`
      })
  }
  return violations
}

export function checkAll(observed: Observed, tolerance: Tolerances): Violation[] {
  return [
    ...checkDeadlines(observed.sends, observed.stalled),
    ...checkEffects(observed.sends, observed.effects),
    ...checkBudget(observed),
    ...checkMetrics(observed),
    ...checkResources(observed.sidecars, tolerance)
  ]
}

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
