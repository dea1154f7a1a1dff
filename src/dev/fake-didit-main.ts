// Runs the fake Didit on its own, for demos and benchmarks:
//   node dist/src/dev/fake-didit-main.js [--port N] [--faults RATIO] [--api-key KEY]
// Prints its URL on stdout and closes on SIGTERM or SIGINT.
import { parseArgs } from 'node:util'
import { startFakeDidit } from './fake-didit.js'

function numberArg(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new RangeError(`--${name} must be a number, got ${value}`)
  return parsed
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, faults: { type: 'string' }, 'api-key': { type: 'string' } },
    strict: true
  })
  const ratio = numberArg('faults', values.faults, 0)
  const fake = await startFakeDidit({
    port: numberArg('port', values.port, 0),
    ...(ratio > 0 ? { faults: { ratio } } : {}),
    ...(values['api-key'] === undefined ? {} : { apiKey: values['api-key'] })
  })
  process.stdout.write(`${fake.url}\n`)
  const stop = (): void => {
    fake.close().then(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

main().catch((error: unknown) => {
  process.stderr.write(`fake-didit: ${(error as Error).message}\n`)
  process.exit(2)
})
