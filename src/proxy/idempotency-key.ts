// The idempotency key of a request: the client's, checked, or a fresh UUIDv4 for the methods
// that get one. The same key goes on every attempt and back to the client.
import { randomUUID } from 'node:crypto'

/** Stripe's limit; visible ASCII only (0x21-0x7E), so keys are safe in headers, logs and store keys. */
const VALID_KEY = /^[\x21-\x7e]{1,255}$/

export type KeyDecision =
  | { kind: 'none' }
  | { kind: 'invalid' }
  | { kind: 'key'; key: string; source: 'client' | 'generated' }

export function decideKey(
  method: string,
  value: string | string[] | undefined,
  methods: readonly string[],
  generate: () => string = randomUUID
): KeyDecision {
  if (!methods.includes(method)) return { kind: 'none' }
  if (value === undefined) return { kind: 'key', key: generate(), source: 'generated' }
  // A repeated header arrives as an array (or joined with ", ", which the pattern refuses).
  if (typeof value !== 'string' || !VALID_KEY.test(value)) return { kind: 'invalid' }
  return { kind: 'key', key: value, source: 'client' }
}
