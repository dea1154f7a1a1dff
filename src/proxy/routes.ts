// Route matching: method + path → the configured route, first match wins; unmatched requests
// use the default policy under the name `default`. Paths match segment by segment; `:name`
// matches one non-empty segment. Matching is on the raw path, as received.
import type { RetryPolicy, Route, RouteIdempotency, RouteRateLimit } from '../config/schema.js'
import { DEFAULT_RELEASE_ON } from '../idempotency/stored.js'

export interface MatchedRoute {
  name: string
  policy: RetryPolicy
  idempotency: RouteIdempotency
  /** The route's own rate limit, on top of the shared ones. */
  rateLimit?: RouteRateLimit
}

export type RouteMatcher = (method: string, path: string) => MatchedRoute

export function compileRoutes(
  routes: readonly Route[],
  fallback: RetryPolicy,
  fallbackIdempotency: RouteIdempotency = { releaseOn: DEFAULT_RELEASE_ON }
): RouteMatcher {
  const compiled = routes.map((route) => ({
    methods: new Set<string>(route.methods),
    segments: route.path.split('/'),
    match: {
      name: route.name,
      policy: route.policy,
      idempotency: route.idempotency,
      ...(route.rateLimit === undefined ? {} : { rateLimit: route.rateLimit })
    }
  }))
  const unmatched: MatchedRoute = { name: 'default', policy: fallback, idempotency: fallbackIdempotency }
  return (method, path) => {
    for (const route of compiled) {
      if (route.methods.has(method) && samePath(route.segments, path)) return route.match
    }
    return unmatched
  }
}

/**
 * Whether `path` has the pattern's segments, read in place: splitting every request's path into
 * an array cost more than the matching itself.
 */
function samePath(pattern: readonly string[], path: string): boolean {
  const last = pattern.length - 1
  let start = 0
  for (let i = 0; i <= last; i++) {
    const end = i === last ? path.length : path.indexOf('/', start)
    if (end === -1 || (i === last && path.indexOf('/', start) !== -1)) return false
    const part = pattern[i] as string
    if (part.startsWith(':')) {
      if (end === start) return false
    } else if (end - start !== part.length || !path.startsWith(part, start)) return false
    start = end + 1
  }
  return true
}
