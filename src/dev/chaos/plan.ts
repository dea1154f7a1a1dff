// The chaos plan, all pure and seeded: which logical requests the clients send (route, key, duplicate,
// sidecar), which fault each upstream arrival of a logical request gets, and when the outages come.
import type { FaultKind } from '../fake-didit.js'
import { draw, weighted } from './prng.js'

export type Call = 'aml' | 'database-validation' | 'session-create' | 'session-list'

export interface LogicalRequest {
  index: number
  /** Carried as x-chaos-id (and as vendor_data in bodies): the fake Didit counts side effects by it. */
  id: string
  call: Call
  method: 'GET' | 'POST'
  path: string
  body?: string
  /** The client's Idempotency-Key; absent on GETs and on some POSTs (the sidecar generates one). */
  key?: string
  /** Sent by two client instances at once, one to each sidecar, each resending on its own. */
  duplicate: boolean
  /** Sidecar of the first send; later sends alternate. */
  sidecar: 0 | 1
}

export interface PlanOptions {
  seed: number
  requests: number
  /** Share of upstream arrivals that get a fault. */
  faultRatio: number
  faultMix: Readonly<Partial<Record<FaultKind, number>>>
  /** Share of POSTs with a client key. */
  keyedShare: number
  /** Share of keyed POSTs sent by two client instances at once. */
  duplicateShare: number
}

// Standalone checks bill every 200; session create is deduplicated by vendor_data; the list is a read.
const CALLS: Record<Call, number> = { aml: 35, 'database-validation': 15, 'session-create': 25, 'session-list': 25 }

export function logicalRequest(options: PlanOptions, index: number): LogicalRequest {
  const { seed } = options
  const id = `r${seed}-${index}`
  const call = weighted(CALLS, draw(seed, 'call', index))
  const sidecar = draw(seed, 'sidecar', index) < 0.5 ? 0 : 1
  if (call === 'session-list')
    return { index, id, call, method: 'GET', path: '/v3/sessions/?limit=1', duplicate: false, sidecar }
  const keyed = draw(seed, 'keyed', index) < options.keyedShare
  const duplicate = keyed && draw(seed, 'duplicate', index) < options.duplicateShare
  const body = JSON.stringify(bodyOf(call, id))
  const path = call === 'session-create' ? '/v3/session/' : `/v3/${call}/`
  return { index, id, call, method: 'POST', path, body, ...(keyed ? { key: `k-${id}` } : {}), duplicate, sidecar }
}

function bodyOf(call: Call, id: string): object {
  if (call === 'session-create') return { workflow_id: 'chaos-workflow', vendor_data: id }
  if (call === 'aml') return { full_name: 'Jane Chaos', date_of_birth: '1990-01-01', vendor_data: id }
  return { id_number: '12345678', first_name: 'Jane', last_name: 'Chaos', vendor_data: id }
}

/** The fault of the `arrival`-th upstream arrival (0-based) of logical request `id`. */
export function faultFor(options: PlanOptions, id: string, arrival: number): FaultKind | undefined {
  if (!(draw(options.seed, 'fault?', id, arrival) < options.faultRatio)) return undefined
  const mix = options.faultMix as Record<FaultKind, number>
  return weighted(mix, draw(options.seed, 'fault', id, arrival))
}

export type OutageKind = 'redis-pause' | 'redis-restart' | 'upstream-down'

export interface Outage {
  /** Starts once this share of the logical requests has started. */
  at: number
  kind: OutageKind
  /** How long the pause or the absence lasts (a restart takes what it takes). */
  ms: number
}

/** Redis paused twice and restarted once, the upstream listener away twice; none in the last fifth. */
export function outages(redisPauseMs: number, upstreamDownMs: number): Outage[] {
  return [
    { at: 0.15, kind: 'redis-pause', ms: redisPauseMs },
    { at: 0.3, kind: 'upstream-down', ms: upstreamDownMs },
    { at: 0.45, kind: 'redis-restart', ms: 0 },
    { at: 0.6, kind: 'upstream-down', ms: upstreamDownMs },
    { at: 0.75, kind: 'redis-pause', ms: redisPauseMs }
  ]
}
