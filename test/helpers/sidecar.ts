// Starts a real sidecar for a test: the real config loader, real sockets on loopback port 0,
// log lines captured in memory, and everything closed in teardown.
import { Writable } from 'node:stream'
import { type AppDeps, buildApp, type Sidecar } from '../../src/app.js'
import { resolveConfig } from '../../src/config/load.js'
import type { Config } from '../../src/config/schema.js'

export interface TestSidecar {
  url: string
  adminUrl: string
  app: Sidecar
  config: Config
  /** Every log line so far, parsed. */
  logs(): Array<Record<string, unknown>>
  /** Every log line so far, as written. */
  rawLogs(): string
  metrics(): Promise<string>
  close(): Promise<void>
}

interface Teardown {
  teardown(fn: () => unknown): void
}

type Document = Record<string, unknown>

/** `document` is the config file's content, merged over loopback listeners on port 0 and debug logs. */
export async function startSidecar(t: Teardown, document: Document, deps: AppDeps = {}): Promise<TestSidecar> {
  const base: Document = {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    log: { level: 'debug' }
  }
  const config = resolveConfig(merge(base, document), { env: {} })
  let written = ''
  const destination = new Writable({
    write(chunk, _encoding, done) {
      written += chunk.toString()
      done()
    }
  })
  const app = buildApp(config, { logDestination: destination, ...deps })
  await app.proxy.listen({ host: '127.0.0.1', port: 0 })
  await app.admin.listen({ host: '127.0.0.1', port: 0 })
  app.lifecycle.state = 'ready'
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await app.close()
  }
  t.teardown(close)
  return {
    url: `http://127.0.0.1:${port(app.proxy)}`,
    adminUrl: `http://127.0.0.1:${port(app.admin)}`,
    app,
    config,
    logs: () =>
      written
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    rawLogs: () => written,
    metrics: () => app.registry.metrics(),
    close
  }
}

function port(server: Sidecar['proxy']): number {
  const address = server.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening')
  return address.port
}

function merge(base: Document, over: Document): Document {
  const out: Document = { ...base }
  for (const [key, value] of Object.entries(over)) {
    const current = out[key]
    out[key] = isPlainObject(current) && isPlainObject(value) ? merge(current as Document, value as Document) : value
  }
  return out
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** The sum of the samples of `name` whose labels include `labels` (0 when there are none). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    const open = line.indexOf('{')
    const present = open === -1 ? [] : line.slice(open + 1, line.lastIndexOf('}')).split(',')
    if (wanted.every((pair) => present.includes(pair))) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}
