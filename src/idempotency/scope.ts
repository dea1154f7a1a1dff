// Whose key is it: the store key joins a tenant (a hash of the caller's credentials), the method,
// the path and the client's key (IETF draft, security: a composite key, so that a low-entropy key
// cannot reach another caller's answers). The tenant covers every credential Didit accepts.
import { createHash } from 'node:crypto'

/** Request headers that identify a Didit caller (lower case). */
export const CREDENTIAL_HEADERS = ['x-api-key', 'authorization', 'session-token', 'x-transaction-token'] as const
export type CredentialHeader = (typeof CREDENTIAL_HEADERS)[number]
/** A caller's credentials: [header, value] pairs, repeated headers in the order received. */
export type Credentials = ReadonlyArray<readonly [CredentialHeader, string]>

/** `path` is the request target without its query; `tenant` comes from tenantOf. */
export interface Scope {
  tenant: string
  method: string
  path: string
  key: string
}

const TENANT_HASH_LENGTH = 32

/**
 * sha256 of the credentials (hex, first 32 chars), never the credentials themselves; null for a
 * caller with none, whose key nobody can be told apart from. An x-api-key alone hashes as it did
 * before the other credentials counted, so that stored entries keep their store keys.
 */
export function tenantOf(credentials: Credentials): string | null {
  // In a fixed header order (a stable sort keeps repeated values in their order): the order of
  // different headers on the wire means nothing.
  const present = credentials
    .filter(([, value]) => value !== '')
    .sort(([a], [b]) => CREDENTIAL_HEADERS.indexOf(a) - CREDENTIAL_HEADERS.indexOf(b))
  if (present.length === 0) return null
  const hash = createHash('sha256')
  const [only] = present
  if (present.length === 1 && only?.[0] === 'x-api-key') hash.update(only[1])
  // NUL never occurs in a header value, so these fields cannot run into each other or into a lone key.
  else for (const [name, value] of present) hash.update(`\0${name}\0${value.length}\0${value}`)
  return hash.digest('hex').slice(0, TENANT_HASH_LENGTH)
}

/** Store key: prefix + tenant + method + path + client key. */
export function scopeKey(prefix: string, scope: Scope): string {
  return `${prefix}${scope.tenant}:${scope.method}:${escapeColons(scope.path)}:${escapeColons(scope.key)}`
}

/** Paths and keys may contain ':', so it is escaped: "/a:b" + "c" must not meet "/a" + "b:c". */
function escapeColons(part: string): string {
  return part.replace(/[%:]/g, (char) => (char === '%' ? '%25' : '%3A'))
}
