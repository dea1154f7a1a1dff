// values.schema.json validates `config` with the sidecar's own config schema, kept in step with
// src/config/schema.ts. After a config change: UPDATE_CHART_SCHEMA=1 npx tap test/deploy/values-schema.test.ts
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { CHART, helm } from '../helpers/helm.js'
import { chartConfigSchema } from './values-schema.js'

const FILE = join(CHART, 'values.schema.json')

t.test('the config schema in values.schema.json is the sidecar schema', async (t) => {
  const schema = JSON.parse(await readFile(FILE, 'utf8'))
  const expected = { ...chartConfigSchema(), description: schema.properties.config.description }
  if (process.env.UPDATE_CHART_SCHEMA === '1') {
    schema.properties.config = expected
    await writeFile(FILE, `${JSON.stringify(schema, null, 2)}\n`)
  }
  t.same(schema.properties.config, expected, 'run with UPDATE_CHART_SCHEMA=1 to update values.schema.json')
  t.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#')
})

t.test('helm refuses a config value the sidecar would refuse', async (t) => {
  for (const [set, where] of [
    ['config.retry.maxAttempts=0', /\/config\/retry\/maxAttempts/],
    ['config.retry.backoff.jitter=wild', /\/config\/retry\/backoff\/jitter/],
    ['config.idempotency.concurrent=queue', /\/config\/idempotency\/concurrent/],
    ['config.upstream.connections=0', /\/config\/upstream\/connections/]
  ] as const) {
    const result = await helm(['template', 'release', CHART, '--set', set])
    t.not(result.code, 0, `${set}: refused`)
    t.match(result.stderr, where, `${set}: names the field`)
  }
})
