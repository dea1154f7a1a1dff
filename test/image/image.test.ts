// The container image as shipped: built from the real Dockerfile with buildah (no Docker engine
// here) on a local Node 24 base, run with podman on a read-only root filesystem against the fake
// Didit on loopback: a request retried once, /metrics scraped, SIGTERM → exit 0.
// Needs root, buildah, podman and runc: skipped without them, except in CI, where it must run.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { client } from '../helpers/client.js'
import { startUpstream } from '../helpers/e2e.js'
import { freePort } from '../helpers/redis-server.js'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '../..')
const IMAGE = `localhost/didit-sidecar:test-${process.pid}`
const NAME = `didit-sidecar-test-${process.pid}`
const PODMAN_RUN = ['--runtime', 'runc', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096']

async function missingTools(): Promise<string[]> {
  const missing: string[] = []
  if (process.getuid?.() !== 0) missing.push('root')
  for (const tool of ['buildah', 'podman', 'runc']) {
    await run('sh', ['-c', `command -v ${tool}`]).catch(() => missing.push(tool))
  }
  return missing
}

function lines(child: ChildProcess): { text(): string; waitFor(pattern: string, ms: number): Promise<void> } {
  let text = ''
  const waiters: Array<() => void> = []
  const onData = (chunk: Buffer) => {
    text += chunk.toString()
    for (const wake of waiters.splice(0)) wake()
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  return {
    text: () => text,
    async waitFor(pattern, ms) {
      const until = Date.now() + ms
      while (!text.includes(pattern)) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`no "${pattern}" in:\n${text}`)
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 200)
        })
      }
    }
  }
}

const missing = await missingTools()
if (missing.length > 0 && process.env.CI !== 'true') {
  t.plan(0, `container image test needs ${missing.join(', ')}`)
} else {
  // Building runs npm ci inside the build stage: minutes, not the suite's default file timeout.
  t.setTimeout(15 * 60_000)
  t.test('the image builds, runs read-only as non-root, retries, exports metrics and exits 0 on SIGTERM', async (t) => {
    const { stdout } = await run(join(ROOT, 'scripts/node-base-image.sh'), [], { maxBuffer: 1 << 24 })
    const base = stdout.trim().split('\n').pop() as string
    const build = [
      'bud',
      '--isolation',
      'chroot',
      '--network',
      'host',
      '--build-arg',
      `NODE_IMAGE=${base}`,
      '--build-arg',
      `RUNTIME_IMAGE=${base}`,
      '-t',
      IMAGE,
      ROOT
    ]
    await run('buildah', build, { maxBuffer: 1 << 26 })
    t.teardown(() => run('podman', ['rmi', '-f', IMAGE]).catch(() => undefined))

    const inspected = await run('podman', ['image', 'inspect', IMAGE, '--format', '{{json .Config}}'])
    const config = JSON.parse(inspected.stdout) as { User: string; Entrypoint: string[]; Env: string[] }
    t.equal(config.User, '65532:65532', 'a numeric non-root user')
    t.same(config.Entrypoint, ['node', 'dist/didit-sidecar.js'], 'node runs directly, not npm')
    t.ok(config.Env.includes('NODE_ENV=production'), 'NODE_ENV=production')
    t.ok(config.Env.includes('LD_PRELOAD=/usr/local/lib/libjemalloc.so.2'), 'jemalloc is preloaded')
    t.ok(
      config.Env.some((entry) => entry.startsWith('MALLOC_CONF=background_thread:true')),
      'with a background thread that purges'
    )
    const probe = `const fs = require('node:fs')
      console.log(JSON.stringify({ node: process.versions.node, tap: fs.existsSync('node_modules/tap'),
        typescript: fs.existsSync('node_modules/typescript'), fastify: fs.existsSync('node_modules/fastify') }))`
    const contents = await run('podman', ['run', '--rm', ...PODMAN_RUN, '--entrypoint', 'node', IMAGE, '-e', probe])
    const found = JSON.parse(contents.stdout) as Record<string, unknown>
    t.match(found.node, /^24\./, 'the image runs Node 24')
    t.same(
      { tap: found.tap, typescript: found.typescript, fastify: found.fastify },
      { tap: false, typescript: false, fastify: true },
      'production dependencies only'
    )

    const didit = await startUpstream(t)
    didit.script({ method: 'POST', path: '/v3/session/' }, [
      { status: 503, body: { detail: 'busy' }, headers: { 'retry-after': '0' } },
      { status: 201, body: { session_id: 's-image' } }
    ])
    const [port, adminPort] = [await freePort(), await freePort()]
    const env = {
      DIDIT_SIDECAR_UPSTREAM: didit.url,
      DIDIT_SIDECAR_PORT: String(port),
      DIDIT_SIDECAR_ADMIN_HOST: '127.0.0.1',
      DIDIT_SIDECAR_ADMIN_PORT: String(adminPort),
      DIDIT_API_KEY: 'image-test-key'
    }
    const envArgs = Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`])
    const args = ['run', '--rm', '--name', NAME, ...PODMAN_RUN, '--network', 'host', '--read-only', ...envArgs, IMAGE]
    const child = spawn('podman', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
    t.teardown(async () => {
      if (child.exitCode !== null) return
      await run('podman', ['rm', '-f', NAME]).catch(() => undefined)
      await exited
    })
    const output = lines(child)
    await output.waitFor('"msg":"ready"', 60_000)

    // A preload that cannot load is only a warning from ld.so: check what the process really maps.
    const mapsOfPid1 = "process.stdout.write(require('node:fs').readFileSync('/proc/1/maps', 'utf8'))"
    const maps = await run('podman', ['exec', NAME, 'node', '-e', mapsOfPid1], { maxBuffer: 1 << 24 })
    t.match(maps.stdout, /\/usr\/local\/lib\/libjemalloc\.so\.2/, 'the sidecar runs on jemalloc')
    t.notMatch(output.text(), /cannot be preloaded/, 'without a preload warning')

    const send = client(t)
    const response = await send(`http://127.0.0.1:${port}/v3/session/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"workflow_id":"w"}'
    })
    t.equal(response.status, 201, 'the retried request succeeds')
    t.equal(response.headers['x-sidecar-attempts'], '2', 'after one retry')
    t.equal(didit.requests[1]?.headers['x-api-key'], 'image-test-key', 'the API key from the environment is injected')

    const metrics = (await send(`http://127.0.0.1:${adminPort}/metrics`)).body.toString()
    t.match(metrics, /didit_sidecar_retries_total\{route="session-create",reason="503"\} 1/, 'the retry is counted')
    t.match(metrics, /didit_sidecar_build_info\{version="\d/, 'build info names the version')
    t.equal((await send(`http://127.0.0.1:${adminPort}/readyz`)).status, 200, 'ready')

    await run('podman', ['kill', '--signal', 'TERM', NAME])
    const [code] = await exited
    t.equal(code, 0, 'SIGTERM: clean exit 0')
    t.match(output.text(), /"msg":"stopped"/, 'drained and stopped')
    t.notMatch(output.text(), /image-test-key/, 'the key never reaches the logs')
  })
}
