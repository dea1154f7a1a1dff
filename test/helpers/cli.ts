// Runs the real CLI (the bundle that `npm start`, the `bin` and the image run) as a child process.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'

export const ENTRY = join(import.meta.dirname, '../../dist/didit-sidecar.js')

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface RunningCli {
  child: ChildProcess
  /** stdout and stderr so far. */
  output(): string
  /** Resolves with the proxy and admin base URLs once the `ready` line is printed. */
  ready: Promise<{ proxy: string; admin: string }>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Writes a config document to a temp file; listeners default to loopback port 0. */
export async function writeConfig(document: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'didit-sidecar-cli-'))
  const path = join(dir, 'config.yaml')
  const listeners = { listen: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } }
  await writeFile(path, stringify({ ...listeners, ...document }))
  return path
}

export function runCli(t: Teardown, args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [ENTRY, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal }))
  )
  const ready = new Promise<{ proxy: string; admin: string }>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      for (const line of output.split('\n')) {
        if (!line.includes('"msg":"ready"')) continue
        const { proxy, admin } = JSON.parse(line) as { proxy: string; admin: string }
        resolve({ proxy: `http://${proxy}`, admin: `http://${admin}` })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    exited.then(({ code }) => reject(new Error(`exited with ${code} before ready:\n${output}`)))
  })
  ready.catch(() => undefined)
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  return { child, output: () => output, ready, exited }
}
