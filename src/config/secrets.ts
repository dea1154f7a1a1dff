// Secrets arrive through the environment or mounted files, where a trailing newline is the usual
// mistake (`echo KEY | kubectl create secret …`). They are trimmed, then checked against what
// their consumer accepts; a problem names the field, never the value.

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
  idempotency: { store: { url: string } }
  rateLimit: { store: { url: string } }
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
  // Checked whatever the store type: `--check` prints both URLs, and a switch to Redis must not fail at start.
  for (const [name, store] of [
    ['idempotency', config.idempotency.store],
    ['rateLimit', config.rateLimit.store]
  ] as const) {
    if (!isUsableRedisUrl(store.url))
      problems.push(`${name}.store.url: is not a URL the Redis client can use (value not shown)`)
  }
  return problems
}

/**
 * Whether ioredis can use the URL. Its parseURL (ioredis/built/utils/index.js) reads a rediss?://
 * URL — the only kind the schema allows — with WHATWG `new URL`, decodes the credentials and takes
 * the database from the path or `?db=`; done here without loading ioredis for a memory-only config.
 */
function isUsableRedisUrl(url: string): boolean {
  try {
    const parsed = new URL(url)
    decodeURIComponent(parsed.username)
    decodeURIComponent(parsed.password)
    const db = parsed.pathname.length > 1 ? parsed.pathname.slice(1) : parsed.searchParams.get('db')
    return db === null || /^\d+$/.test(db)
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
