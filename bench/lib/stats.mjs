// Latency summaries and medians over rounds.

/** p50/p90/p99/p99.9 and max of latencies in ms (nearest-rank on the sorted sample). */
export function summarize(latencies) {
  const sorted = Float64Array.from(latencies).sort()
  const at = (q) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)])
  const round = (x) => (x === null ? null : Math.round(x * 1000) / 1000)
  return { p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), p999: round(at(0.999)), max: round(at(1)) }
}

export function median(values) {
  const sorted = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return null
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Medians over rounds, per contender and scenario. */
export function summarizeRuns(runs) {
  const summary = {}
  const fields = [
    'rps',
    'okRps',
    'cpuUsPerRequest',
    'peakRssMiB',
    'rssBeforeMiB',
    'rssAfterMiB',
    'startToReadyMs',
    'idleRssMiB',
    'attemptsPerRequest',
    'errors'
  ]
  for (const run of runs) {
    const key = `${run.scenario}|${run.contender}`
    summary[key] ??= { scenario: run.scenario, contender: run.contender, rounds: [] }
    summary[key].rounds.push(run)
  }
  return Object.values(summary).map(({ scenario, contender, rounds: rs }) => {
    const row = { scenario, contender }
    for (const field of fields) {
      const m = median(rs.map((r) => r[field]))
      if (m !== null) row[field] = m
    }
    if (rs[0].latencyMs) {
      row.latencyMs = {}
      for (const q of ['p50', 'p90', 'p99', 'p999']) row.latencyMs[q] = median(rs.map((r) => r.latencyMs[q]))
    }
    return row
  })
}
