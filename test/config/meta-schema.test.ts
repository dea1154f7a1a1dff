// The config schema is valid JSON Schema (draft-07, Ajv's strict mode, our x-unit keyword). The
// loader skips this check at start-up to save time (issue 9), so this test keeps it.
import { Ajv } from 'ajv'
import t from 'tap'
import { ConfigSchema } from '../../src/config/schema.js'

t.test('the config schema passes the meta-schema and strict-mode compilation', async (t) => {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, validateSchema: true })
  ajv.addKeyword({ keyword: 'x-unit', modifying: true, errors: true, validate: () => true })
  t.equal(ajv.validateSchema(ConfigSchema), true, JSON.stringify(ajv.errors))
  t.doesNotThrow(() => ajv.compile(ConfigSchema))
})

t.test('a schema error is caught here (the check is not vacuous)', async (t) => {
  const ajv = new Ajv({ strict: true, validateSchema: true })
  t.equal(ajv.validateSchema({ type: 'object', properties: { a: { type: 'no-such-type' } } }), false)
})
