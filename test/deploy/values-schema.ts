// The chart's `config` value is validated by the sidecar's own config schema (src/config/schema.ts),
// less the keys the chart sets itself, with no `default` and no `required` but a route's (the sidecar fills those)
// and no `x-unit` (a keyword of our loader; helm ignores it anyway).
import { ConfigSchema } from '../../src/config/schema.js'

type Schema = Record<string, unknown>

/** Keys the chart owns, by path in config.yaml. */
const OWNED: Record<string, string[]> = {
  listen: ['host', 'port'],
  admin: ['host', 'port'],
  upstream: ['url', 'apiKey'],
  'idempotency.store': ['type', 'url'],
  'rateLimit.store': ['type', 'url']
}

export function chartConfigSchema(): Schema {
  return strip(structuredClone(ConfigSchema) as unknown as Schema, '')
}

function strip(node: unknown, path: string): Schema {
  if (Array.isArray(node)) return node.map((item) => strip(item, path)) as unknown as Schema
  if (node === null || typeof node !== 'object') return node as Schema
  const out: Schema = {}
  for (const [key, value] of Object.entries(node as Schema)) {
    // A route still needs its name, method and path; every other key has a default.
    if ((key === 'required' && path !== 'routes') || key === 'default' || key === 'x-unit') continue
    if (key === 'properties') {
      const owned = OWNED[path] ?? []
      const children = Object.entries(value as Schema)
        .filter(([name]) => !owned.includes(name))
        .map(([name, child]) => [name, strip(child, path === '' ? name : `${path}.${name}`)])
      out.properties = Object.fromEntries(children)
    } else out[key] = strip(value, path)
  }
  return out
}
