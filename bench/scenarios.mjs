// The scenarios: what load each one puts on a contender, scaled by the run's seconds per measurement.
export const SESSION = '/v3/session/'
export const DECISION = '/v3/session/11111111-2222-3333-4444-555555555555/decision/'
export const UPLOAD = '/v3/id-verification/'

/** Scenarios run against every contender, in this order, on one process per contender and round. */
export function perContender({ seconds, smoke }) {
  const durationMs = seconds * 1000
  const warmupMs = smoke ? 50 : 1000
  const saturation = { mode: 'closed', connections: 32, durationMs, warmupMs }
  const fixed = { mode: 'open', rate: 1000, connections: 64, durationMs, warmupMs: smoke ? 50 : 500 }
  // Smoke mode only checks that the scenario runs: 4 uploads at a time rather than 20.
  const uploaders = smoke ? 4 : 20
  return [
    { name: 'post-saturation', ...saturation, method: 'POST', path: SESSION, payload: 'json-1k' },
    { name: 'get-saturation', ...saturation, method: 'GET', path: DECISION },
    { name: 'post-1000rps', ...fixed, method: 'POST', path: SESSION, payload: 'json-1k' },
    { name: 'get-1000rps', ...fixed, method: 'GET', path: DECISION },
    {
      name: 'upload-10mib',
      mode: 'closed',
      connections: uploaders,
      durationMs,
      warmupMs: 0,
      method: 'POST',
      path: UPLOAD,
      payload: 'multipart-10m'
    }
  ]
}

/** The sidecar alone, the upstream answering 503 to 20 % of attempts. */
export function retryScenario({ seconds }) {
  return {
    name: 'retry-503',
    mode: 'closed',
    connections: 32,
    durationMs: seconds * 1000,
    warmupMs: 0,
    method: 'POST',
    path: SESSION,
    payload: 'json-1k'
  }
}

/** Unmeasured load before a contender's first scenario, so that JIT compilation is not charged to it. */
export function warmups({ smoke }) {
  // Smoke mode only checks that the scenarios run: no time spent on warm-up.
  if (smoke) return []
  const base = { mode: 'closed', connections: 32, durationMs: 1000, warmupMs: 0 }
  return [
    { name: 'warm-up', ...base, method: 'POST', path: SESSION, payload: 'json-1k' },
    { name: 'warm-up', ...base, method: 'GET', path: DECISION }
  ]
}
