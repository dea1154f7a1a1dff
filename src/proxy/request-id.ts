import { randomUUID } from 'node:crypto'

// A client's x-request-id is kept when it is a short safe token; otherwise a new id is made,
// so that a hostile value can neither bloat logs nor forge a line in them.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export function requestIdFrom(value: string | string[] | undefined, generate: () => string = randomUUID): string {
  return typeof value === 'string' && SAFE_REQUEST_ID.test(value) ? value : generate()
}
