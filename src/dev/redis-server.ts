// A throwaway redis-server on a free loopback port, for the tests and the chaos run, with the faults
// they inject: pause (SIGSTOP: connections stay open, nothing answers), restart, down and up.
// With `appendOnlyDir`, stored keys survive a restart, as with a production Redis with persistence.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

const STARTUP_TIMEOUT = 10_000
const PING_INTERVAL = 25
const PROBE_TIMEOUT = 1000
const STOP_TIMEOUT = 5000

export interface RedisServerOptions {
  /** The redis-server binary; found on PATH by default. */
  binary?: string
  /** Keep an append-only file there (fsync always), so that a restart keeps every key. */
  appendOnlyDir?: string
}

export interface RedisServer {
  url: string
  port: number
  pid(): number | undefined
  /** SIGSTOP: connections stay open but nothing answers, like a Redis stuck on a slow command. */
  pause(): void
  /** SIGCONT after pause(). */
  resume(): void
  /** Stop, then start again on the same port. */
  restart(): Promise<void>
  /** The two halves of a restart, for a test that acts while it is down. */
  down(): Promise<void>
  up(): Promise<void>
  /** Clients connected to it, this probe's own connection excluded; 0 when it does not answer. */
  clients(): Promise<number>
  stop(): Promise<void>
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort()
  let child = await launch(port, options)
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    child.kill('SIGCONT')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT)
    await exited
    clearTimeout(timer)
  }
  const up = async () => {
    child = await launch(port, options)
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => child.pid,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async restart() {
      await stop()
      await up()
    },
    down: stop,
    up,
    clients: () => connectedClients(port),
    stop
  }
}

/** Asks the kernel for a free port, then gives it back for a server to take. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no free port')
  return address.port
}

async function launch(port: number, options: RedisServerOptions): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '']
  if (options.appendOnlyDir === undefined) args.push('--appendonly', 'no')
  else args.push('--dir', options.appendOnlyDir, '--appendonly', 'yes', '--appendfsync', 'always')
  const child = spawn(options.binary ?? 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-2000)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  let failed: Error | undefined
  child.once('error', (error) => {
    failed = error
  })
  const deadline = Date.now() + STARTUP_TIMEOUT
  while (!(await answersPing(port))) {
    if (failed !== undefined) throw new Error(`redis-server could not start: ${failed.message}`)
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`redis-server did not start on port ${port}:\n${output}`)
    }
    await sleep(PING_INTERVAL)
  }
  return child
}

/** Sends one inline command and resolves with the reply once `done` says it is complete. */
function ask(port: number, command: string, done: (reply: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let reply = ''
    socket.setTimeout(PROBE_TIMEOUT, () => socket.destroy())
    socket.on('connect', () => socket.write(`${command}\r\n`))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (done(reply)) socket.end()
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(reply))
  })
}

async function answersPing(port: number): Promise<boolean> {
  return (await ask(port, 'PING', (reply) => reply.includes('\r\n'))).startsWith('+PONG')
}

async function connectedClients(port: number): Promise<number> {
  const reply = await ask(port, 'INFO clients', (text) => /connected_clients:\d+\r\n/.test(text))
  return Math.max(0, Number(/connected_clients:(\d+)/.exec(reply)?.[1] ?? 1) - 1)
}
