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
    const segments = path.split('/')
    const found = compiled.find((route) => route.methods.has(method) && samePath(route.segments, segments))
    return found?.match ?? unmatched
  }
}

function samePath(pattern: readonly string[], segments: readonly string[]): boolean {
  if (pattern.length !== segments.length) return false
  return pattern.every((part, index) => {
    const segment = segments[index] as string
    return part.startsWith(':') ? segment.length > 0 : part === segment
  })
}
