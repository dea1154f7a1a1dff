// The scope that Didit counts in: the API key in use. Only its hash is ever kept or sent to the
// store: for an x-api-key it is the idempotency store's tenant hash (tenantOf, src/idempotency/scope.ts).
import { createHash } from 'node:crypto'

const SCOPE_HASH_LENGTH = 32

/** sha256(apiKey), hex, first 32 characters. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex').slice(0, SCOPE_HASH_LENGTH)
}
