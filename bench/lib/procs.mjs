// Child processes of the benchmark: free loopback ports, readiness polling, memory from /proc.
import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Spawns a server process; its output is discarded (the sidecar's info log included) unless `pipe`. */
export function spawnServer(command, args, env = {}, { pipe = false } = {}) {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', pipe ? 'pipe' : 'ignore', pipe ? 'pipe' : 'ignore']
  })
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return { child, exited, spawnedAt: performance.now() }
}

function status(url) {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume()
      resolve(res.statusCode)
    })
    req.on('error', () => resolve(0))
    req.on('timeout', () => req.destroy())
    req.end()
  })
}

/** Polls `url` every 5 ms until it answers 200; returns ms since `since` (spawn → ready). */
export async function waitReady(url, since, { timeoutMs = 15_000, exited } = {}) {
  let dead = false
  exited?.then(() => {
    dead = true
  })
  while (performance.now() - since < timeoutMs) {
    if (dead) throw new Error(`${url}: the process exited before ready`)
    if ((await status(url)) === 200) return performance.now() - since
    await sleep(5)
  }
  throw new Error(`${url}: not ready after ${timeoutMs} ms`)
}

/** Current and peak resident memory in MiB, from /proc/PID/status (VmRSS, VmHWM). */
export async function memory(pid) {
  const text = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN)
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 }
}

/** Which malloc the process runs on: jemalloc when its library is mapped, else the C library's. */
export async function allocator(pid) {
  const maps = await readFile(`/proc/${pid}/maps`, 'utf8')
  return /\/libjemalloc\.so/.test(maps) ? 'jemalloc' : 'libc'
}

/** CPU time (user + system) the process has used, in ms, from /proc/PID/stat (clock ticks of 10 ms). */
export async function cpuMs(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** Resets VmHWM to the current RSS (clear_refs 5, Linux 4.0+), so each scenario gets its own peak. */
export async function resetPeak(pid) {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** Samples RSS every 50 ms as a fallback where clear_refs is not allowed; stop() returns the max. */
export function sampleRss(pid) {
  let max = 0
  const timer = setInterval(() => {
    memory(pid).then(
      ({ rssMiB }) => {
        max = Math.max(max, rssMiB)
      },
      () => undefined
    )
  }, 50)
  return () => {
    clearInterval(timer)
    return max
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stop({ child, exited }, graceMs = 2000) {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}
