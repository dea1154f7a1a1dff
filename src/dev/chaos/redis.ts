// The one real redis-server both sidecars share, with an append-only file so that a restart keeps
// stored answers (as a production Redis with persistence would): a restart tests reconnection, and
// losing every key is not mistaken for a sidecar bug.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const STARTUP_MS = 10_000
const STOP_MS = 5_000

export interface ChaosRedis {
  url: string
  pid(): number | undefined
  /** SIGSTOP: connections stay open, nothing answers. */
  pause(): void
  resume(): void
  /** SIGTERM (it writes its file), then start again on the same port. */
  restart(): Promise<void>
  /** The two halves of a restart, for a test that acts while it is down. */
  down(): Promise<void>
  up(): Promise<void>
  /** Clients connected to it, this probe's own connection excluded. */
  clients(): Promise<number>
  stop(): Promise<void>
}

export async function startRedis(): Promise<ChaosRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'didit-chaos-redis-'))
  const port = await freePort()
  let child = await launch(port, dir)
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGCONT')
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS)
    await exited
    clearTimeout(timer)
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: () => child.pid,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async restart() {
      await stop()
      child = await launch(port, dir)
    },
    down: stop,
    clients: () => connectedClients(port),
    async up() {
      child = await launch(port, dir)
    },
    async stop() {
      await stop()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

async function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '']
  args.push('--appendonly', 'yes', '--appendfsync', 'always')
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  child.stderr?.resume()
  let failed: Error | undefined
  child.once('error', (error) => {
    failed = error
  })
  const deadline = Date.now() + STARTUP_MS
  while (!(await answersPing(port))) {
    if (failed !== undefined) throw new Error(`redis-server could not start: ${failed.message}`)
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`redis-server did not start on port ${port}`)
    }
    await sleep(25)
  }
  return child
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no free port')
  return address.port
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let reply = ''
    socket.setTimeout(1000, () => socket.destroy())
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) socket.end()
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(reply.startsWith('+PONG')))
  })
}

/** `connected_clients` from INFO clients, less the probe's own connection; 0 when Redis does not answer. */
function connectedClients(port: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let reply = ''
    socket.setTimeout(1000, () => socket.destroy())
    socket.on('connect', () => socket.write('INFO clients\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (/connected_clients:\d+\r\n/.test(reply)) socket.end()
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(Math.max(0, Number(/connected_clients:(\d+)/.exec(reply)?.[1] ?? 1) - 1)))
  })
}
