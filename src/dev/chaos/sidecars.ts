// The sidecars as real CLI child processes (the bundle, dist/didit-sidecar.js): their RSS and open
// descriptors are their own, read from /proc, and a leak in one cannot hide in the driver's process.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdir, readFile } from 'node:fs/promises'

const READY_MS = 15_000
const LOG_TAIL = 4000

export interface ChaosSidecar {
  proxy: string
  admin: string
  pid: number
  /** Last lines of its output, for diagnostics. */
  tail(): string
  metrics(): Promise<string>
  resources(): Promise<Resources>
  stop(): Promise<void>
}

export interface Resources {
  rssBytes: number
  fds: number
}

/** `entry` is the CLI that ships, dist/didit-sidecar.js. */
export async function startSidecar(entry: string, configPath: string): Promise<ChaosSidecar> {
  const child = spawn(process.execPath, [entry, '--config', configPath], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let tail = ''
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-LOG_TAIL)
  }
  child.stderr?.on('data', keep)
  const { proxy, admin } = await ready(child, keep)
  const pid = child.pid as number
  return {
    proxy,
    admin,
    pid,
    tail: () => tail,
    metrics: async () => (await fetch(`${admin}/metrics`)).text(),
    resources: () => resourcesOf(pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    }
  }
}

function ready(child: ChildProcess, keep: (chunk: Buffer) => void): Promise<{ proxy: string; admin: string }> {
  return new Promise((resolve, reject) => {
    let pending = ''
    const timer = setTimeout(() => fail(new Error('sidecar not ready in time')), READY_MS)
    const fail = (error: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    child.once('exit', (code) => {
      if (!found) fail(new Error(`sidecar exited with ${code} before ready:\n${pending}`))
    })
    let found = false
    child.stdout?.on('data', (chunk: Buffer) => {
      keep(chunk)
      if (found) return
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        if (!line.includes('"msg":"ready"')) continue
        const { proxy, admin } = JSON.parse(line) as { proxy: string; admin: string }
        found = true
        clearTimeout(timer)
        resolve({ proxy: `http://${proxy}`, admin: `http://${admin}` })
      }
    })
  })
}

export async function resourcesOf(pid: number): Promise<Resources> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN)
  const fds = (await readdir(`/proc/${pid}/fd`)).length
  return { rssBytes: rssKiB * 1024, fds }
}
