// Secrets arrive through the environment or mounted files, where a trailing newline is the usual
// mistake (`echo KEY | kubectl create secret …`). They are trimmed, then checked against what
// their consumer accepts; a problem names the field, never the value.
import { createRequire } from 'node:module'

// What undici accepts in a header value (lib/core/util.js, from Node's _http_common.js).
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
const REDACTED = '<redacted>'
// ioredis takes credentials from the query too (`?password=`), as it merges the query into its options.
const SECRET_PARAMS = new Set(['password', 'username'])

const SECRET_PATHS = [
  ['upstream', 'apiKey'],
  ['idempotency', 'store', 'url'],
  ['rateLimit', 'store', 'url']
] as const

interface Secrets {
  upstream: { apiKey: string }
  idempotency: { store: { type: string; url: string } }
  rateLimit: { store: { type: string; url: string } }
}

/** Trims the secrets of an expanded document in place, before validation. */
export function trimSecrets(document: unknown): void {
  for (const path of SECRET_PATHS) {
    const parent = path.slice(0, -1).reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), document)
    const key = path[path.length - 1] as string
    if (isObject(parent) && typeof parent[key] === 'string') parent[key] = parent[key].trim()
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export function secretProblems(config: Secrets): string[] {
  const problems: string[] = []
  if (!HEADER_VALUE.test(config.upstream.apiKey))
    problems.push('upstream.apiKey: contains characters that cannot be sent in a header (value not shown)')
  // Only a store that will connect needs a URL its client can use.
  for (const [name, store] of [
    ['idempotency', config.idempotency.store],
    ['rateLimit', config.rateLimit.store]
  ] as const) {
    if (store.type === 'redis' && !isUsableRedisUrl(store.url))
      problems.push(`${name}.store.url: is not a URL the Redis client can use (value not shown)`)
  }
  return problems
}

/** Parsed by ioredis's own parser, as `new Redis(url)` does; a database must be a number. */
function isUsableRedisUrl(url: string): boolean {
  // Loaded only for a Redis store, which loads ioredis anyway: a memory-only config never does.
  const { parseURL } = createRequire(import.meta.url)('ioredis/built/utils/index.js') as {
    parseURL(url: string): { db?: unknown }
  }
  try {
    const options = parseURL(url)
    return options.db === undefined || /^\d+$/.test(String(options.db))
  } catch {
    return false
  }
}

/** The URL with its credentials masked, found the way ioredis finds them (WHATWG URL). */
export function maskUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return REDACTED
  }
  const params = [...parsed.searchParams]
  const query = params.some(([key]) => SECRET_PARAMS.has(key))
    ? `?${params.map(([key, value]) => `${key}=${SECRET_PARAMS.has(key) ? REDACTED : encodeURIComponent(value)}`).join('&')}`
    : parsed.search
  const auth = parsed.username !== '' || parsed.password !== '' ? `${REDACTED}@` : ''
  return `${parsed.protocol}//${auth}${parsed.host}${parsed.pathname}${query}${parsed.hash}`
}
