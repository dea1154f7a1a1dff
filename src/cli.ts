// Command-line arguments, parsed without side effects so that tests can call it directly.
import { parseArgs } from 'node:util'

export const USAGE = `Usage: didit-sidecar [--config PATH] [--check]

A sidecar proxy for the Didit API: point your Didit base URL at it.

Options:
  -c, --config PATH  config file (default: $DIDIT_SIDECAR_CONFIG or ./config.yaml)
      --check        validate the config, print it with secrets masked, and exit
  -h, --help         print this help
`

export type Command =
  | { kind: 'help' }
  | { kind: 'run' | 'check'; configPath: string }
  | { kind: 'usage-error'; message: string }

export function parseCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Command {
  let values: { config?: string; check?: boolean; help?: boolean }
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string', short: 'c' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true,
      allowPositionals: false
    }).values
  } catch (error) {
    return { kind: 'usage-error', message: (error as Error).message }
  }
  if (values.help === true) return { kind: 'help' }
  const configPath = values.config ?? env.DIDIT_SIDECAR_CONFIG ?? './config.yaml'
  return { kind: values.check === true ? 'check' : 'run', configPath }
}
