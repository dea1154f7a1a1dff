// The contenders, each started as its own process against the same upstream: how to start it,
// where it listens and when it is ready. `direct` is the floor: the load goes to the upstream itself.
import { accessSync, constants, readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { parseDocument } from 'yaml'
import { freePort, spawnServer } from './lib/procs.mjs'

const ROOT = join(import.meta.dirname, '..')

export const CONTENDERS = ['direct', 'nginx', 'haproxy', 'node-http-proxy', 'fastify-http-proxy', 'sidecar']

/** Whether this process may access `path` with `mode` (fs.constants.X_OK, R_OK, ...). */
function accessible(path, mode = constants.F_OK) {
  try {
    accessSync(path, mode)
    return true
  } catch {
    return false
  }
}

/** Finds an executable on PATH or in the sbin folders, where Debian puts nginx and haproxy. */
export function findBinary(name) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin']
  return dirs.map((dir) => join(dir, name)).find((path) => accessible(path, constants.X_OK))
}

/** Why a contender cannot run here, or undefined. */
export function missing(name) {
  if (name === 'nginx' || name === 'haproxy') return findBinary(name) ? undefined : `${name} is not installed`
  if (name === 'sidecar' && !accessible(join(ROOT, 'dist/didit-sidecar.js')))
    return 'dist/ is missing: run npm run build'
  return undefined
}

const MULTIARCH = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }

/**
 * The allocator the image runs the sidecar with: the Dockerfile's LD_PRELOAD (jemalloc) and
 * MALLOC_CONF, so that the bench measures the process that ships. The library itself is found
 * where Debian's libjemalloc2 puts it on this machine; `missing` says why the sidecar runs on
 * glibc's malloc instead.
 */
export function imageAllocator() {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  const preload = /LD_PRELOAD=(\S+)/.exec(dockerfile)?.[1]
  const conf = /MALLOC_CONF=(\S+)/.exec(dockerfile)?.[1]
  if (preload === undefined || conf === undefined) return { env: {}, missing: 'the Dockerfile sets no allocator' }
  const name = preload.slice(preload.lastIndexOf('/') + 1)
  const dirs = [`/usr/lib/${MULTIARCH[process.arch] ?? process.arch}`, '/usr/local/lib', '/usr/lib']
  const library = dirs.map((dir) => join(dir, name)).find((path) => accessible(path, constants.R_OK))
  if (library === undefined) return { env: {}, missing: `${name} is not installed (Debian: libjemalloc2)` }
  return { env: { LD_PRELOAD: library, MALLOC_CONF: conf } }
}

/** Limits far above any bench load (10^9 per 1 s window, plus the shipped margin). */
const UNREACHABLE = { limit: 1_000_000_000, window: '1s' }

/**
 * The shipped config.yaml with every rate limit (shared and per route) raised out of reach: the
 * limiter stays on, so its cost per request is measured, but it never refuses or delays a request.
 * The window is short so that the sliding-window log holds what Didit's 300/min would (hundreds
 * to thousands of entries), not a minute of bench traffic. Everything else is the shipped config.
 */
export async function benchConfig(dir) {
  const doc = parseDocument(await readFile(join(ROOT, 'config.yaml'), 'utf8'))
  const limits = doc.getIn(['rateLimit', 'limits']).toJSON()
  doc.setIn(['rateLimit', 'enabled'], true)
  doc.setIn(['rateLimit', 'store', 'type'], 'memory')
  doc.setIn(
    ['rateLimit', 'limits'],
    limits.map((limit) => ({ ...limit, ...UNREACHABLE }))
  )
  doc.get('routes').items.forEach((route, index) => {
    if (route.has('rateLimit')) doc.setIn(['routes', index, 'rateLimit'], { ...UNREACHABLE })
  })
  const path = join(dir, 'sidecar-config.yaml')
  await writeFile(path, doc.toString())
  return path
}

const nginxConf = (port, upstream, dir) => `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream up { server 127.0.0.1:${upstream}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 32m;
    location = /readyz { return 200 "ok"; }
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`

const haproxyConf = (port, upstream) => `
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:${port}
  http-request return status 200 content-type text/plain string ok if { path /readyz }
  default_backend be
backend be
  server up 127.0.0.1:${upstream}
`

/**
 * Starts a contender; `nodeArgs` (e.g. --cpu-prof) go to the sidecar only. Returns { proc, base, readyUrl, metricsUrl } where proc is undefined for direct.
 * `upstreamPath` is a path prefix on the upstream (the retry scenario uses /flaky).
 */
export async function startContender(name, { upstreamPort, upstreamPath = '', dir, nodeArgs = [] }) {
  const upstream = `http://127.0.0.1:${upstreamPort}${upstreamPath}`
  if (name === 'direct') return { base: upstream, readyUrl: `${upstream}/readyz` }
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const node = (script) =>
    spawnServer(process.execPath, [join(ROOT, script)], { UPSTREAM: upstream, PORT: String(port) })
  switch (name) {
    case 'nginx': {
      const conf = join(dir, `nginx-${port}.conf`)
      await writeFile(conf, nginxConf(port, upstreamPort, dir))
      return {
        proc: spawnServer(findBinary('nginx'), ['-p', dir, '-c', conf, '-e', 'stderr']),
        base,
        readyUrl: `${base}/readyz`
      }
    }
    case 'haproxy': {
      const conf = join(dir, `haproxy-${port}.cfg`)
      await writeFile(conf, haproxyConf(port, upstreamPort))
      return { proc: spawnServer(findBinary('haproxy'), ['-db', '-f', conf]), base, readyUrl: `${base}/readyz` }
    }
    case 'node-http-proxy':
      return { proc: node('bench/servers/node-http-proxy.mjs'), base, readyUrl: `${base}/readyz` }
    case 'fastify-http-proxy':
      return { proc: node('bench/servers/fastify-http-proxy.mjs'), base, readyUrl: `${base}/readyz` }
    case 'sidecar': {
      const admin = await freePort()
      const env = {
        DIDIT_SIDECAR_UPSTREAM: upstream,
        DIDIT_SIDECAR_PORT: String(port),
        DIDIT_SIDECAR_ADMIN_HOST: '127.0.0.1',
        DIDIT_SIDECAR_ADMIN_PORT: String(admin),
        DIDIT_API_KEY: 'bench-key',
        ...imageAllocator().env
      }
      const args = [...nodeArgs, join(ROOT, 'dist/didit-sidecar.js'), '--config', await benchConfig(dir)]
      const adminBase = `http://127.0.0.1:${admin}`
      return {
        proc: spawnServer(process.execPath, args, env),
        base,
        readyUrl: `${adminBase}/readyz`,
        metricsUrl: `${adminBase}/metrics`
      }
    }
    default:
      throw new Error(`unknown contender ${name}`)
  }
}
