// Config file → validated, typed, resolved Config. The steps: YAML parse, env expansion,
// validation (defaults, unit conversion, every error at once), then route policy resolution.
import { readFile } from 'node:fs/promises'
import type { ErrorObject } from 'ajv'
import { parse as parseYaml } from 'yaml'
import { type Env, expandEnv } from './env.js'
import type { Config, Method, RawConfig, RetryOverride, RetryPolicy, Route } from './schema.js'
import { secretProblems, trimSecrets } from './secrets.js'
// Generated at build time from schema.ts (validator-source.ts): no schema is compiled at start-up.
import { validate } from './validate-config.js'

/** Every problem found in a config, each as `path: message`. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

export interface LoadOptions {
  env?: Env
}

/** Reads and validates a config file; throws ConfigError naming every bad field. */
export async function loadConfigFile(path: string, options: LoadOptions = {}): Promise<Config> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigError([`${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`])
  }
  let parsed: unknown
  try {
    parsed = parseYaml(text) ?? {}
  } catch (err) {
    throw new ConfigError([`${path}: is not valid YAML (${(err as Error).message.split('\n')[0]})`])
  }
  return resolveConfig(parsed, options)
}

/** Validates an already parsed config document (the file's content, before env expansion). */
export function resolveConfig(document: unknown, { env = process.env }: LoadOptions = {}): Config {
  const data = expandEnv(document, env)
  trimSecrets(data)
  if (!validate(data)) throw new ConfigError(formatErrors(validate.errors ?? []))
  const raw = data as RawConfig
  const config = { ...raw, routes: raw.routes.map((route) => resolveRoute(route, raw.retry, raw.idempotency)) }
  const problems = checkConsistency(config)
  if (problems.length > 0) throw new ConfigError(problems)
  return config
}

function resolveRoute(
  route: RawConfig['routes'][number],
  base: RetryPolicy,
  idempotency: RawConfig['idempotency']
): Route {
  const methods: Method[] = Array.isArray(route.method) ? route.method : [route.method]
  return {
    name: route.name,
    methods,
    path: route.path,
    policy: mergePolicy(base, route.retry),
    idempotency: { releaseOn: route.idempotency?.releaseOn ?? idempotency.releaseOn },
    ...(route.rateLimit === undefined ? {} : { rateLimit: route.rateLimit })
  }
}

export function mergePolicy(base: RetryPolicy, override: RetryOverride = {}): RetryPolicy {
  return {
    ...base,
    ...override,
    backoff: { ...base.backoff, ...override.backoff },
    retryAfter: { ...base.retryAfter, ...override.retryAfter },
    budget: { ...base.budget, ...override.budget }
  } as RetryPolicy
}

/** Rules that span several keys, which a schema cannot say. */
function checkConsistency(config: Config): string[] {
  const problems: string[] = secretProblems(config)
  const seen = new Set<string>()
  config.routes.forEach((route, index) => {
    if (route.name === 'default') problems.push(`routes[${index}].name: "default" is reserved for unmatched requests`)
    if (seen.has(route.name)) problems.push(`routes[${index}].name: duplicate route name "${route.name}"`)
    seen.add(route.name)
  })
  const policies: Array<[string, RetryPolicy]> = [
    ['retry', config.retry],
    ...config.routes.map((route, index): [string, RetryPolicy] => [`routes[${index}].retry`, route.policy])
  ]
  for (const [path, policy] of policies) {
    if (policy.perTryTimeout > policy.timeout) problems.push(`${path}.perTryTimeout: must not exceed timeout`)
    if (policy.backoff.base > policy.backoff.max) problems.push(`${path}.backoff.base: must not exceed backoff.max`)
    // Linkerd's and Finagle's range for a budget's time-to-live.
    if (policy.budget.window < 1000 || policy.budget.window > 60_000)
      problems.push(`${path}.budget.window: must be 1s to 60s`)
  }
  const { store, pollInterval } = config.idempotency
  if (store.lockTtl < 1000) problems.push('idempotency.store.lockTtl: must be at least 1s')
  if (store.timeout < 1) problems.push('idempotency.store.timeout: must be at least 1ms')
  if (pollInterval < 1) problems.push('idempotency.pollInterval: must be at least 1ms')
  const limitNames = new Set<string>()
  config.rateLimit.limits.forEach((limit, index) => {
    if (limitNames.has(limit.name))
      problems.push(`rateLimit.limits[${index}].name: duplicate limit name "${limit.name}"`)
    limitNames.add(limit.name)
  })
  if (config.rateLimit.store.timeout < 1) problems.push('rateLimit.store.timeout: must be at least 1ms')
  return problems
}

/** `/routes/2/retry/maxAttempts` → `routes[2].retry.maxAttempts`. */
export function formatPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`), '')
}

function formatErrors(errors: ErrorObject[]): string[] {
  // A failed anyOf also reports each branch; the anyOf's own line (with the schema's description) says it better.
  const unions = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath))
  const lines = errors
    .filter((e) => e.keyword === 'anyOf' || ![...unions].some((path) => e.instancePath.startsWith(path)))
    .map((e) => {
      if (e.keyword === 'additionalProperties') {
        const key = (e.params as { additionalProperty: string }).additionalProperty
        return `${formatPath(`${e.instancePath}/${key}`) || key}: unknown key`
      }
      if (e.keyword === 'required') {
        const key = (e.params as { missingProperty: string }).missingProperty
        return `${formatPath(`${e.instancePath}/${key}`)}: is required`
      }
      const path = formatPath(e.instancePath) || '(root)'
      if (e.keyword === 'anyOf') return `${path}: must be ${(e.parentSchema as { description?: string }).description}`
      if (e.keyword === 'enum') {
        return `${path}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
      }
      return `${path}: ${e.message}`
    })
  return [...new Set(lines)]
}
