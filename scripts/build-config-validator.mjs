// Build step (after tsc): writes the config validator, Ajv standalone code generated from the
// compiled schema, to dist/ (what the CLI runs) and src/ (what the tests run through ts-node).
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const { validatorSource } = await import(join(root, 'dist/src/config/validator-source.js'))
const source = validatorSource()
for (const dir of ['dist/src/config', 'src/config']) await writeFile(join(root, dir, 'validate-config.js'), source)
