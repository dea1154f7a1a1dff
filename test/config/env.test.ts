// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config values, not templates
import t from 'tap'
import { expandEnv, expandString } from '../../src/config/env.js'

t.test('${VAR} and ${VAR:-default}', async (t) => {
  const env = { A: 'alpha', EMPTY: '' }
  t.equal(expandString('${A}', env), 'alpha')
  t.equal(expandString('x-${A}-y', env), 'x-alpha-y')
  t.equal(expandString('${MISSING}', env), '')
  t.equal(expandString('${MISSING:-fallback}', env), 'fallback')
  t.equal(expandString('${EMPTY:-fallback}', env), 'fallback', 'empty takes the default, like the shell')
  t.equal(expandString('${A:-fallback}', env), 'alpha')
  t.equal(expandString('${MISSING:-}', env), '')
  t.equal(expandString('$A ${ A } ${1A}', env), '$A ${ A } ${1A}', 'only well-formed references expand')
  t.equal(expandString('${A}${A}', env), 'alphaalpha')
})

t.test('expansion reaches every string, never keys or structure', async (t) => {
  const env = { PORT: '9000', LIST: 'a: [1]' }
  t.same(expandEnv({ a: ['${PORT}', { b: '${LIST}' }], '${PORT}': 1, n: 2, z: null, y: true }, env), {
    a: ['9000', { b: 'a: [1]' }],
    '${PORT}': 1,
    n: 2,
    z: null,
    y: true
  })
})
