// A real Prometheus server (Debian's package) on a free loopback port, scraping given targets
// every second and evaluating given rule files, with its TSDB in a temp dir removed in teardown.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { stringify } from 'yaml'
import { freePort } from './redis-server.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface ScrapeTarget {
  /** host:port of a /metrics endpoint. */
  address: string
  labels?: Record<string, string>
}

export interface PrometheusOptions {
  job: string
  targets: ScrapeTarget[]
  ruleFiles?: string[]
}

export interface QueryResult {
  status: 'success' | 'error'
  error?: string
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value?: [number, string] }> }
}

export interface Prometheus {
  url: string
  /** An instant query at the current time; never throws on a PromQL error (the answer says it). */
  query(expr: string): Promise<QueryResult>
  /** GET of an API path, parsed. */
  api<T = unknown>(path: string): Promise<T>
}

const STARTUP_TIMEOUT = 20_000

export async function startPrometheus(t: Teardown, options: PrometheusOptions): Promise<Prometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'didit-prometheus-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [
      {
        job_name: options.job,
        static_configs: options.targets.map((target) => ({ targets: [target.address], labels: target.labels ?? {} }))
      }
    ]
  }
  await writeFile(join(dir, 'prometheus.yml'), stringify(config))
  // The port is free when asked, but may be taken before Prometheus binds it: try again then.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const child = launch(dir, port)
    t.teardown(() => stop(child))
    const url = `http://127.0.0.1:${port}`
    if (await ready(url, child)) return client(url)
    await stop(child)
    if (attempt === 3) throw new Error(`prometheus did not start:\n${output.get(child) ?? ''}`)
  }
}

const output = new WeakMap<ChildProcess, string>()

function launch(dir: string, port: number): ChildProcess {
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn'
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  )
  output.set(child, '')
  const collect = (chunk: Buffer) => output.set(child, ((output.get(child) ?? '') + chunk.toString()).slice(-4000))
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  return child
}

async function ready(url: string, child: ChildProcess): Promise<boolean> {
  const until = Date.now() + STARTUP_TIMEOUT
  while (Date.now() < until && child.exitCode === null) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return true
    } catch {}
    await sleep(50)
  }
  return false
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

function client(url: string): Prometheus {
  const api = async <T>(path: string): Promise<T> => (await (await fetch(`${url}${path}`)).json()) as T
  return {
    url,
    api,
    query: (expr) => api<QueryResult>(`/api/v1/query?query=${encodeURIComponent(expr)}`)
  }
}
