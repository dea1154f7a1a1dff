// Fastify requires its schema compilers (@fastify/ajv-compiler, i.e. all of Ajv, and
// fast-json-stringify) whenever an instance is created, though only a route with a schema uses
// them, and no route here has one. These factories require them on first use instead (issue 9).
// Fastify then counts them as custom compilers, whose only effect is that a `headers` schema's
// keys are not lower-cased for it.
import { createRequire } from 'node:module'
import type { FastifyServerOptions } from 'fastify'

// Resolved from Fastify's own location: they are its dependencies, not ours.
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'))

function lazy<F extends (...args: never[]) => unknown>(load: () => F): F {
  let factory: F | undefined
  return ((...args: Parameters<F>) => {
    factory ??= load()
    return factory(...args)
  }) as F
}

type Compilers = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>

export function lazySchemaController(): NonNullable<FastifyServerOptions['schemaController']> {
  const compilersFactory: Compilers = {
    buildValidator: lazy(() => fromFastify('@fastify/ajv-compiler')()),
    buildSerializer: lazy(() => fromFastify('@fastify/fast-json-stringify-compiler')())
  }
  return { compilersFactory }
}
