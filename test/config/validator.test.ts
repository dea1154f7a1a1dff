// The config validator is generated at build time (scripts/build-config-validator.mjs); the files
// the tests and the CLI run must be what schema.ts and validator-source.ts produce now.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import t from 'tap'
import { convertUnit } from '../../src/config/units.js'
import { AJV_OPTIONS, unitKeyword, validatorSource } from '../../src/config/validator-source.js'

const ROOT = join(import.meta.dirname, '../..')

t.test('the generated validator in src/ and dist/ is up to date (else: npm run build)', async (t) => {
  const expected = validatorSource()
  for (const dir of ['src/config', 'dist/src/config']) {
    const actual = await readFile(join(ROOT, dir, 'validate-config.js'), 'utf8')
    t.ok(actual === expected, `${dir}/validate-config.js is stale: run npm run build`)
  }
})

t.test('generation is deterministic and names the unit converter it imports', async (t) => {
  const source = validatorSource()
  t.equal(validatorSource(), source)
  t.match(source, /^import \{ convertUnit \} from '\.\/units\.js'$/m)
  t.match(source, /= convertUnit;/)
  t.notMatch(source, /require\("ajv"\)|from 'ajv'|typebox/, 'no compiler or schema library at run time')
})

t.test('convertUnit: integers for valid units, undefined for anything else', async (t) => {
  t.equal(convertUnit('duration', '250ms'), 250)
  t.equal(convertUnit('duration', 1500), 1500)
  t.equal(convertUnit('size', '1KiB'), 1024)
  t.equal(convertUnit('duration', '5 parsecs'), undefined)
  t.equal(convertUnit('size', -1), undefined)
  t.equal(convertUnit('size', 1.5), undefined)
  for (const value of [true, null, undefined, {}, ['1s']]) t.equal(convertUnit('duration', value), undefined)
})

t.test('an unknown x-unit kind is a build error, not a silent pass', async (t) => {
  const ajv = new Ajv(AJV_OPTIONS)
  ajv.addKeyword(unitKeyword)
  t.throws(() => ajv.compile({ type: 'object', properties: { a: { type: 'string', 'x-unit': 'weight' } } }), {
    message: /x-unit: unknown kind "weight"/
  })
  const validate = ajv.compile<{ a: number }>({ type: 'object', properties: { a: { 'x-unit': 'duration' } } })
  const data = { a: '2s' }
  t.equal(validate(data), true)
  t.same(data, { a: 2000 }, 'converted in place')
  t.equal(validate({ a: 'soon' }), false)
  t.match(validate.errors, [{ keyword: 'x-unit', instancePath: '/a', params: { kind: 'duration' } }])
})
