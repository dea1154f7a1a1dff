// src/upstream/undici-agent.ts loads undici's Agent and request API without undici's index
// (issue 9). In a fresh process they must work on their own, and be the index's own classes.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { Agent as IndexAgent, Dispatcher as IndexDispatcher } from 'undici'
import { Agent } from '../../src/upstream/undici-agent.js'

const MODULE = join(import.meta.dirname, '../../dist/src/upstream/undici-agent.js')

t.test("the Agent is the one undici's index exports, with the index's request API", async (t) => {
  t.equal(Agent, IndexAgent)
  for (const method of ['request', 'stream', 'pipeline', 'connect', 'upgrade'] as const) {
    t.equal(typeof Agent.prototype[method], 'function', method)
    t.equal(Agent.prototype[method], IndexDispatcher.prototype[method], method)
  }
})

t.test('alone in a process, it sends a request without loading the index', async (t) => {
  const script = `
    import { createServer } from 'node:http'
    import { createRequire } from 'node:module'
    const { Agent } = await import(${JSON.stringify(MODULE)})
    const server = createServer((req, res) => res.end('pong ' + req.url))
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    const agent = new Agent({ connections: 1 })
    const { statusCode, body } = await agent.request({ origin: 'http://127.0.0.1:' + server.address().port, path: '/ping', method: 'GET' })
    const text = await body.text()
    await agent.close()
    server.close()
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes('/node_modules/undici/'))
    console.log(JSON.stringify({ statusCode, text, index: loaded.some((p) => p.endsWith('/node_modules/undici/index.js')), loaded: loaded.length }))
  `
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 10_000
  })
  const result = JSON.parse(stdout) as { statusCode: number; text: string; index: boolean; loaded: number }
  t.equal(result.statusCode, 200)
  t.equal(result.text, 'pong /ping')
  t.equal(result.index, false, "undici's index is not loaded")
  t.ok(result.loaded > 0, 'undici modules are seen in the cache')
})
