// The chaos checks are pure functions over recorded data: each one passes on a clean record and
// names the key, send and size of the breach on a broken one.
import t from 'tap'
import { resolveConfig } from '../../src/config/load.js'
import type { SendRecord } from '../../src/dev/chaos/driver.js'
import {
  checkBudget,
  checkDeadlines,
  checkEffects,
  checkMetrics,
  checkResources,
  type Observed
} from '../../src/dev/chaos/invariants.js'
import { parseMetrics } from '../../src/dev/chaos/metrics-text.js'
import { chaosDocument, deadlineMs } from '../../src/dev/chaos/setup.js'

const config = resolveConfig(chaosDocument('http://127.0.0.1:1', 'redis://127.0.0.1:2'), { env: {} })

function send(partial: Partial<SendRecord> & { send: string }): SendRecord {
  const logical = partial.send.split('#')[0] as string
  return {
    logical,
    route: 'aml',
    key: `k-${logical}`,
    sidecar: 0,
    startedAt: 0,
    endedAt: 100,
    deadlineMs: 1000,
    complete: true,
    status: 200,
    replayed: false,
    ...partial
  }
}

t.test('deadlines: late, lost, and a stalled body cut in time', async (t) => {
  const sends = [
    send({ send: 'a#1' }),
    send({ send: 'b#1', endedAt: 1250 }),
    send({ send: 'c#1', complete: false, status: undefined, error: 'TimeoutError', endedAt: 2000 }),
    send({ send: 'd#1', complete: false, error: 'UND_ERR_SOCKET', endedAt: 600 }),
    send({ send: 'e#1', complete: false, error: 'UND_ERR_SOCKET', endedAt: 600 })
  ]
  const found = checkDeadlines(sends, new Set(['d#1'])).map((v) => v.detail)
  t.equal(found.length, 3)
  t.match(found[0], /send b#1 \(key k-b\), route aml, sidecar A: 200 answered 250 ms late/)
  t.match(found[1], /send c#1 .*no complete answer \(TimeoutError\) after 2000 ms, deadline 1000 ms/)
  t.match(found[2], /send e#1 .*UND_ERR_SOCKET after a 200 head/, 'a cut without a stall is not excused')
})

t.test('single effect per logical request, with the sends that caused them', async (t) => {
  const sends = [send({ send: 'a#1', status: 502, problem: 'upstream_reset' }), send({ send: 'a#2', sidecar: 1 })]
  const effects = [
    { id: 'a', send: 'a#1', at: 10 },
    { id: 'a', send: 'a#2', at: 60 },
    { id: 'b', send: 'b#1', at: 5 }
  ]
  const [violation, ...rest] = checkEffects(sends, effects)
  t.same(rest, [])
  t.match(violation?.detail, /^a \(key k-a, route aml\): 2 side effects \(a#1 at \+0 ms, a#2 at \+50 ms\)/)
  t.match(violation?.detail, /a#1 via A at 0 ms: 502 upstream_reset in 100 ms; a#2 via B/)
  t.match(violation?.detail, /a#2 was processed while a#1 was still open/, 'a#1 ended at 100, a#2 processed at 60')
  const late = [effects[0], { ...effects[1], at: 150 }] as typeof effects
  t.match(checkEffects(sends, late)[0]?.detail, /a#2 was processed after a#1 ended with 502 upstream_reset in 100 ms/)
  t.same(checkEffects(sends, effects.slice(1)), [])
})

const metrics = (lines: string[]) => parseMetrics(lines.join('\n'))
const resources = { rssBytes: 100 * 2 ** 20, fds: 20 }

function observed(samples: string[], extra: Partial<Observed> = {}): Observed {
  return {
    config,
    sends: [send({ send: 'a#1' }), send({ send: 'b#1', status: 503 })],
    effects: [],
    stalled: new Set(),
    warmUp: 0,
    arrivals: 3,
    idleCut: 1,
    sidecars: [{ name: 'A', samples: metrics(samples), before: resources, warm: resources, after: resources }],
    durationMs: 5000,
    ...extra
  }
}

t.test('metric totals against the clients and the fake Didit', async (t) => {
  const good = [
    'didit_sidecar_requests_total{route="aml",method="POST",code="200",outcome="completed"} 1',
    'didit_sidecar_requests_total{route="aml",method="POST",code="503",outcome="rejected"} 1',
    'didit_sidecar_upstream_attempts_total{route="aml",result="200"} 3',
    'didit_sidecar_upstream_attempts_total{route="aml",result="connect-failure"} 5'
  ]
  t.same(checkMetrics(observed(good)), [])
  t.same(checkMetrics(observed(good, { arrivals: 2 })), [], 'one more attempt than seen: an idle connection was cut')
  const warmed = [
    ...good,
    'didit_sidecar_requests_total{route="session-list",method="GET",code="200",outcome="completed"} 2'
  ]
  t.same(checkMetrics(observed(warmed, { warmUp: 2 })), [], 'warm-up GETs are expected')
  const found = checkMetrics(observed(good, { arrivals: 1, sends: [send({ send: 'a#1', status: 201 })] }))
  t.same(
    found.map((v) => v.detail),
    [
      'requests_total 2 != 1 client sends + 0 warm-up',
      'requests_total{code="200"} (not aborted) 1 != 0 complete answers (warm-up included)',
      'requests_total{code="201"} (not aborted) 0 != 1 complete answers (warm-up included)',
      'requests_total{code="503"} (not aborted) 1 != 0 complete answers (warm-up included)',
      'upstream_attempts_total (not connect-failure) 3, fake Didit saw 1 (+ up to 1 on connections cut while idle)'
    ]
  )
})

t.test('budget: retries against 2 x ratio x forwarded + windows x reserve, attempts against maxAttempts', async (t) => {
  // aml: ratio 0.2, minPerSecond 10, window 10 s; 5 s of run = 1 interval of 9 s: bound 2*0.2*100 + 100 = 140.
  const lines = (retries: number, attempts: number) => [
    'didit_sidecar_requests_total{route="aml",method="POST",code="200",outcome="completed"} 100',
    'didit_sidecar_requests_total{route="aml",method="POST",code="200",outcome="replayed"} 50',
    `didit_sidecar_retries_total{route="aml",reason="503"} ${retries}`,
    `didit_sidecar_upstream_attempts_total{route="aml",result="200"} ${attempts}`
  ]
  t.same(checkBudget(observed(lines(140, 240))), [])
  t.same(
    checkBudget(observed(lines(141, 401))).map((v) => v.detail),
    [
      'sidecar A, route aml: 141 retries > bound 140.0 (100 forwarded, 1 windows)',
      'sidecar A, route aml: 401 attempts > maxAttempts 4 x 100 forwarded'
    ]
  )
})

t.test('resources back to baseline within tolerance', async (t) => {
  const after = { rssBytes: 150 * 2 ** 20, fds: 23 }
  const warm = { rssBytes: 110 * 2 ** 20, fds: 40 }
  const found = checkResources([{ name: 'B', samples: [], before: resources, warm, after }], {
    fds: 2,
    rssBytes: 32 * 2 ** 20
  })
  t.same(
    found.map((v) => v.detail),
    [
      'sidecar B: 23 open descriptors after the run, 20 before (tolerance 2)',
      'sidecar B: RSS 150.0 MiB after the run, 110.0 MiB early in it (tolerance 32.0 MiB)'
    ]
  )
  const steady = { name: 'B', samples: [], before: resources, warm: resources, after: resources }
  t.same(checkResources([steady], { fds: 0, rssBytes: 0 }), [])
})

t.test('deadlines derive from the route timeout, waitTimeout and the store timeout', async (t) => {
  // timeout 2500 ms > waitTimeout 2000 ms; + 2 x 200 ms store calls + margin.
  t.equal(deadlineMs(config, 'aml', 500), 3400)
  t.equal(deadlineMs(config, 'unknown', 0), 2900)
})
