// The request target as the client sent it, checked before anything else looks at it.
// Only origin-form (`/path?query`) is accepted. The path is never parsed with `new URL(path, base)`,
// which would let `//other.host/x` replace the upstream host; it is appended to the upstream as is.
import type { ProblemCode } from '../errors.js'

export interface Target {
  path: string // as received, percent-encoding untouched
  query: string // including the leading '?', or ''
}

export function splitTarget(url: string): Target {
  const mark = url.indexOf('?')
  return mark === -1 ? { path: url, query: '' } : { path: url.slice(0, mark), query: url.slice(mark) }
}

/**
 * Why a target is refused, or null. Dot-segments are refused (not resolved) so that no request
 * borrows another route's policy; a `#fragment` is refused too: origin-form has none (RFC 9112 §3.2.1),
 * and a client sending one has a bug that forwarding would hide.
 */
export function checkTarget(url: string): ProblemCode | null {
  if (!url.startsWith('/') || url.includes('#')) return 'invalid_request_target'
  const { path } = splitTarget(url)
  // Nearly every path has neither: no segment of it can be a dot-segment, however encoded.
  if (!path.includes('.') && !path.includes('%')) return null
  for (const segment of path.split('/')) {
    const decoded = segment.replace(/%2e/gi, '.')
    if (decoded === '.' || decoded === '..') return 'invalid_path'
  }
  return null
}

/** The upstream URL's origin and path prefix (without a trailing slash), parsed once at startup. */
export function upstreamBase(url: string): { origin: string; prefix: string } {
  const parsed = new URL(url)
  return { origin: parsed.origin, prefix: parsed.pathname.replace(/\/+$/, '') }
}
