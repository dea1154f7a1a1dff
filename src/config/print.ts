// The effective config as YAML, for `--check`: units rendered back, secrets masked.
import type { TSchema } from '@sinclair/typebox'
import { stringify } from 'yaml'
import { type Config, ConfigSchema, RetryPolicySchema, RouteRateLimitSchema } from './schema.js'
import { maskUrl } from './secrets.js'
import { formatDuration, formatSize } from './units.js'

const MASK = '<redacted>'

export function printConfig(config: Config): string {
  const shown = {
    ...config,
    upstream: { ...config.upstream, apiKey: config.upstream.apiKey === '' ? '' : MASK },
    idempotency: {
      ...config.idempotency,
      store: { ...config.idempotency.store, url: maskUrl(config.idempotency.store.url) }
    },
    rateLimit: { ...config.rateLimit, store: { ...config.rateLimit.store, url: maskUrl(config.rateLimit.store.url) } }
  }
  // Resolved routes carry their whole policy, which the route schema does not describe.
  const schema = {
    ...ConfigSchema,
    properties: {
      ...ConfigSchema.properties,
      routes: { items: { properties: { policy: RetryPolicySchema, rateLimit: RouteRateLimitSchema } } }
    }
  }
  return stringify(withUnits(shown, schema as unknown as TSchema))
}

function withUnits(value: unknown, schema: TSchema | undefined): unknown {
  if (schema === undefined) return value
  const kind = (schema as { 'x-unit'?: string })['x-unit']
  if (typeof value === 'number' && kind === 'duration') return formatDuration(value)
  if (typeof value === 'number' && kind === 'size') return formatSize(value)
  if (Array.isArray(value)) return value.map((item) => withUnits(item, schema.items as TSchema | undefined))
  if (value !== null && typeof value === 'object') {
    const properties = (schema.properties ?? {}) as Record<string, TSchema>
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withUnits(item, properties[key])]))
  }
  return value
}
