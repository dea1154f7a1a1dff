import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** The package version; package.json is one level above src/ and dist/ (the bundle), two above dist/src/. */
function packageVersion(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(path) as { name?: string; version?: string }
      if (pkg.name === 'didit-sidecar' && pkg.version !== undefined) return pkg.version
    } catch {
      // not at this level
    }
  }
  return 'unknown'
}

export const VERSION = packageVersion()
