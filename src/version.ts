import { createRequire } from 'node:module'

// package.json sits two levels up from both src/ and dist/src/.
const require = createRequire(import.meta.url)
export const VERSION: string = (require('../../package.json') as { version: string }).version
