// Start-up cost (issue 9): a plain start loads neither TypeBox nor Ajv's compiler (the config
// validator is generated at build time; Ajv's small runtime helpers remain), nor undici's index.
// A resolve hook logs every ESM import; at exit the process adds its CommonJS module cache.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { runCli, writeConfig } from '../helpers/cli.js'

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
    modules: async () => (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '')
  }
}

const TYPEBOX = /node_modules\/@sinclair\/typebox\//
const AJV_COMPILER = /node_modules\/ajv\/dist\/(ajv|core|compile|vocabularies)\b/
// undici's index loads fetch, WebSocket, mocks and caches; only its Agent is used.
const UNDICI_INDEX = /node_modules\/undici\/index\.js$/

t.test('a plain start loads no TypeBox, Ajv compiler or undici index', async (t) => {
  const trace = await tracing()
  const config = await writeConfig({ upstream: { url: 'http://127.0.0.1:9' }, shutdown: { delay: 0 } })
  const cli = runCli(t, ['--config', config], trace.env)
  await cli.ready
  cli.child.kill('SIGTERM')
  t.same(await cli.exited, { code: 0, signal: null }, cli.output())
  const modules = await trace.modules()
  // The trace sees both kinds of module, so the absences below are not vacuous.
  t.ok(
    modules.some((m) => m.includes('/dist/src/config/validate-config.js')),
    'the generated validator (ESM)'
  )
  t.ok(
    modules.some((m) => /node_modules\/ajv\/dist\/runtime\//.test(m)),
    "Ajv's runtime helpers (CommonJS)"
  )
  t.same(
    modules.filter((m) => TYPEBOX.test(m)),
    [],
    'no TypeBox'
  )
  t.same(
    modules.filter((m) => AJV_COMPILER.test(m)),
    [],
    'no Ajv compiler'
  )
  t.same(
    modules.filter((m) => UNDICI_INDEX.test(m)),
    [],
    'no undici index'
  )
})
