// Header rules of a forwarding proxy (RFC 9110 §7.6.1): hop-by-hop headers, and those named in
// `Connection`, stop here in both directions. `host` comes from the upstream origin; `expect` was
// answered by this server; undici refuses `transfer-encoding`, `keep-alive`, `upgrade` and `expect`.
import type { IncomingHttpHeaders } from 'node:http'

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings'
])
/** Request headers the sidecar sets itself or that describe this hop only. */
const REQUEST_OWN = new Set(['host', 'expect', 'content-length'])

const NO_TOKENS: ReadonlySet<string> = new Set()

function connectionTokens(list: string | string[] | undefined): ReadonlySet<string> {
  // Most requests carry no Connection header or a lone `keep-alive`, and most responses a lone
  // `keep-alive` or `close`: no string work then.
  const value = Array.isArray(list) && list.length === 1 ? list[0] : list
  if (value === undefined || value.length === 0 || value === 'keep-alive' || value === 'close') return NO_TOKENS
  const joined = Array.isArray(value) ? value.join(',') : value
  return new Set(
    joined
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== '')
  )
}

export interface OutboundOptions {
  /** Headers the sidecar sets, replacing any incoming value (lower-case names). */
  set: Record<string, string>
  /** Keep the client's content-length (a streamed body); buffered bodies get theirs from undici. */
  keepContentLength: boolean
}

/** Outgoing request headers as a flat [name, value, ...] list, keeping repeated headers and their order. */
export function outboundHeaders(rawHeaders: readonly string[], options: OutboundOptions): string[] {
  const lower: string[] = new Array(rawHeaders.length >> 1)
  let connection: string[] | undefined
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase()
    lower[i >> 1] = name
    if (name === 'connection') {
      connection ??= []
      connection.push(rawHeaders[i + 1] as string)
    }
  }
  const named = connectionTokens(connection)
  const { set } = options
  const out: string[] = []
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = lower[i >> 1] as string
    // Object.hasOwn, not `in`: `in` walks the prototype chain, so `constructor` or `__proto__` would match.
    if (HOP_BY_HOP.has(name) || named.has(name) || Object.hasOwn(set, name)) continue
    if (REQUEST_OWN.has(name) && !(name === 'content-length' && options.keepContentLength)) continue
    out.push(rawHeaders[i] as string, rawHeaders[i + 1] as string)
  }
  for (const name of Object.keys(set)) out.push(name, set[name] as string)
  return out
}

/** Response headers to copy to the client, without hop-by-hop ones. */
export function inboundHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = connectionTokens(headers.connection)
  // No prototype: a header named `__proto__` is an own key like any other.
  const out: Record<string, string | string[]> = Object.create(null)
  for (const name of Object.keys(headers)) {
    const value = headers[name]
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue
    out[name] = value
  }
  return out
}
