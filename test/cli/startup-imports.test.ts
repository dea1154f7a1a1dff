// Start-up cost (issue 9). The CLI is one ES module bundle, dist/didit-sidecar.js
// (scripts/bundle.mjs); a plain start runs no TypeBox, Ajv compiler, undici index or ioredis, and
// what it reads from node_modules is only what src/ requires there on purpose (undici's Agent
// files, ioredis), never a second copy of a package that is in the bundle. A resolve hook logs
// every ESM import; at exit the process adds its CommonJS module cache. The bundle's metafile
// says which package went where.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t, { type Test } from 'tap'
import { ENTRY, runCli, writeConfig } from '../helpers/cli.js'
import { startRedis } from '../helpers/redis-server.js'

const ROOT = join(import.meta.dirname, '../..')

const HOOKS = `import { appendFileSync } from 'node:fs'
let log
export function initialize(data) { log = data.log }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  appendFileSync(log, result.url + '\\n')
  return result
}
`

async function tracing(): Promise<{ env: Record<string, string>; modules: () => Promise<string[]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'didit-sidecar-imports-'))
  const log = join(dir, 'modules.log')
  const hooks = pathToFileURL(join(dir, 'hooks.mjs')).href
  await writeFile(join(dir, 'hooks.mjs'), HOOKS)
  await writeFile(
    join(dir, 'preload.mjs'),
    `import { appendFileSync } from 'node:fs'
import { createRequire, register } from 'node:module'
register(${JSON.stringify(hooks)}, { data: { log: ${JSON.stringify(log)} } })
const cache = createRequire(import.meta.url).cache
process.on('exit', () => appendFileSync(${JSON.stringify(log)}, Object.keys(cache).join('\\n') + '\\n'))
`
  )
  await writeFile(log, '')
  return {
    env: { NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'preload.mjs')).href}` },
    modules: async () =>
      (await readFile(log, 'utf8'))
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => (line.startsWith('file:') ? new URL(line).pathname : line))
  }
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>
}

/** The package a node_modules path belongs to (`@scope/name` or `name`), or null for our own files. */
function packageOf(path: string): string | null {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1] ?? null
}

/** The bundle's outputs that the process loaded, the inputs esbuild put into them, and their packages. */
async function bundled(loaded: string[]): Promise<{ outputs: string[]; inputs: string[]; packages: Set<string> }> {
  const meta = JSON.parse(await readFile(join(ROOT, 'dist/bundle-meta.json'), 'utf8')) as Metafile
  const outputs = Object.keys(meta.outputs).filter((output) => loaded.includes(join(ROOT, output)))
  const inputs = outputs.flatMap((output) => Object.keys(meta.outputs[output]?.inputs ?? {}))
  return { outputs, inputs, packages: new Set(inputs.map(packageOf).filter((p) => p !== null)) }
}

/** Starts the real CLI with `document` under the trace, stops it, and returns what it loaded. */
async function traceStart(t: Test, document: Record<string, unknown>) {
  const trace = await tracing()
  const config = await writeConfig({ upstream: { url: 'http://127.0.0.1:9' }, shutdown: { delay: 0 }, ...document })
  const cli = runCli(t, ['--config', config], trace.env)
  await cli.ready
  cli.child.kill('SIGTERM')
  t.same(await cli.exited, { code: 0, signal: null }, cli.output())
  const modules = await trace.modules()
  return { modules, bundle: await bundled(modules) }
}

/** The packages both inside the bundle's loaded outputs and read from node_modules: two copies. */
function loadedTwice(modules: string[], bundle: { packages: Set<string> }): string[] {
  const fromDisk = new Set(modules.map(packageOf).filter((p) => p !== null))
  return [...fromDisk].filter((p) => bundle.packages.has(p))
}

const TYPEBOX = /node_modules\/@sinclair\/typebox\//
const AJV_COMPILER = /node_modules\/ajv\/dist\/(ajv|core|compile|vocabularies)\b/
// undici's index loads fetch, WebSocket, mocks and caches; only its Agent is used.
const UNDICI_INDEX = /node_modules\/undici\/index\.js$/
const IOREDIS = /node_modules\/ioredis\//
const NOT_AT_START = { TYPEBOX, AJV_COMPILER, UNDICI_INDEX, IOREDIS }

t.test('a plain start runs the bundle, and no TypeBox, Ajv compiler, undici index or ioredis', async (t) => {
  const { modules, bundle } = await traceStart(t, {})

  // The trace and the metafile both see what they should, so the absences below are not vacuous.
  t.ok(modules.includes(ENTRY), 'the CLI runs the bundle')
  t.ok(bundle.packages.has('fastify') && bundle.packages.has('pino'), 'Fastify and pino come from the bundle')
  t.ok(
    bundle.inputs.some((input) => input.endsWith('dist/src/config/validate-config.js')) &&
      bundle.inputs.some((input) => /node_modules\/ajv\/dist\/runtime\//.test(input)),
    "the generated validator and Ajv's runtime helpers are in the bundle"
  )
  t.ok(
    modules.some((m) => /node_modules\/undici\/lib\/dispatcher\/agent\.js$/.test(m)),
    "undici's Agent is read from node_modules (CommonJS, src/upstream/undici-agent.ts)"
  )
  t.notOk(
    bundle.outputs.some((output) => /chunks\/(print|redis-store)-/.test(output)),
    'neither the --check printer nor the Redis store chunk'
  )
  for (const [name, pattern] of Object.entries(NOT_AT_START)) {
    t.same(
      [...modules, ...bundle.inputs].filter((m) => pattern.test(m)),
      [],
      `no ${name}`
    )
  }
  t.same(loadedTwice(modules, bundle), [], 'no package is both in the bundle and read from node_modules')
})

t.test('with Redis stores, one ioredis, read from node_modules', async (t) => {
  const redis = await startRedis()
  if (redis === null) {
    if (process.env.CI === 'true') throw new Error('redis-server is missing')
    t.comment('redis-server not installed: skipped')
    return
  }
  t.teardown(() => redis.stop())
  const store = { type: 'redis', url: redis.url }
  const { modules, bundle } = await traceStart(t, { idempotency: { store }, rateLimit: { enabled: true, store } })
  t.ok(
    bundle.outputs.some((output) => /chunks\/redis-store-/.test(output)),
    'the Redis idempotency store chunk is loaded'
  )
  t.ok(
    modules.some((m) => /node_modules\/ioredis\/built\/index\.js$/.test(m)),
    'ioredis is read from node_modules'
  )
  t.notOk(bundle.packages.has('ioredis'), 'and is not in the bundle')
  t.same(loadedTwice(modules, bundle), [], 'no package is both in the bundle and read from node_modules')
})
