// `npm run chaos`: the fault-injection suite at full size (see src/dev/chaos/run.ts). Prints a summary
// table, writes it to docs/reliability.md, and exits 1 when an invariant was violated.
//   npm run chaos -- [--requests N] [--concurrency N] [--seed N] [--faults RATIO] [--out FILE] [--no-doc]
//                    [--violations FILE]
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { reliabilityDoc, summaryRows, textTable } from './chaos/report.js'
import { type ChaosOptions, DEFAULT_MIX, runChaos } from './chaos/run.js'

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '50' },
    seed: { type: 'string', default: '7' },
    faults: { type: 'string', default: '0.25' },
    out: { type: 'string', default: new URL('../../../docs/reliability.md', import.meta.url).pathname },
    'no-doc': { type: 'boolean', default: false },
    /** Every violation, one per line (stdout shows the first 40). */
    violations: { type: 'string' }
  },
  strict: true
})

const options: ChaosOptions = {
  entry: join(import.meta.dirname, '../../didit-sidecar.js'),
  seed: Number(values.seed),
  requests: Number(values.requests),
  concurrency: Number(values.concurrency),
  faultRatio: Number(values.faults),
  faultMix: DEFAULT_MIX,
  keyedShare: 0.9,
  duplicateShare: 0.1,
  marginMs: 1000,
  giveUpAfterMs: 3000,
  maxSends: 3,
  retryPauseMs: 100,
  redisPauseMs: 1000,
  upstreamDownMs: 400,
  slowMs: 700,
  warmUp: 20,
  settleMs: 10_000,
  tolerance: { fds: 0, rssBytes: 64 * 2 ** 20 },
  progress: (line) => process.stderr.write(`chaos: ${line}\n`)
}

const result = await runChaos(options)
const rows = summaryRows(result, options)
process.stdout.write(`\n${textTable(rows)}\n`)
for (const violation of result.violations.slice(0, 40))
  process.stdout.write(`VIOLATION ${violation.invariant}: ${violation.detail}\n`)
if (result.violations.length > 40) process.stdout.write(`... ${result.violations.length - 40} more\n`)
if (!values['no-doc']) await writeFile(values.out, reliabilityDoc(result, options, rows))
if (values.violations !== undefined)
  await writeFile(values.violations, result.violations.map((v) => `${v.invariant}: ${v.detail}\n`).join(''))
process.exitCode = result.violations.length === 0 ? 0 : 1
