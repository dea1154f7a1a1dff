// Build step (after tsc and the config validator): bundles the CLI, dist/src/server.js and what it
// imports, into one ES module, dist/didit-sidecar.js, which `npm start`, the `bin` and the image
// run. Node 20 loads a tree of ~300 small modules (ours, Fastify's, pino's, prom-client's, yaml's)
// one file at a time; one file is ready about 100 ms sooner (issue 9, docs/benchmarks.md).
// The bundle is made from tsc's output, so esbuild only joins files and never compiles TypeScript.
// - What src/ loads on demand stays on demand: `import()` becomes a chunk in dist/chunks/ (the
//   --check printer, the Redis idempotency store), and what src/ requires through `createRequire`
//   (undici's Agent files, ioredis, Fastify's schema compilers) is still read from node_modules,
//   which the image keeps.
// - A package that src/ requires that way is external wherever else it is imported, so that a
//   process never holds two copies of it (two ioredis, with their own classes).
// - CommonJS packages inside an ES module need a `require`; the banner gives every file one.
// - dist/bundle-meta.json is esbuild's metafile: which input went into which output
//   (test/cli/startup-imports.test.ts reads it).
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'esbuild'

const root = join(import.meta.dirname, '..')
// Chunk names carry a content hash: last build's would otherwise stay behind.
await rm(join(root, 'dist/chunks'), { recursive: true, force: true })
const result = await build({
  entryPoints: { 'didit-sidecar': join(root, 'dist/src/server.js') },
  outdir: join(root, 'dist'),
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.18',
  sourcemap: 'linked',
  metafile: true,
  external: ['ioredis', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler'],
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
  }
})
await writeFile(join(root, 'dist/bundle-meta.json'), JSON.stringify(result.metafile))
