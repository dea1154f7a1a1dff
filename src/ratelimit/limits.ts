// Which limits a request counts against: the shared ones for its method and the route's own.
// Each window is widened by the margin, because Didit counts arrivals, which trail the sidecar's
// decision by the forwarding time (timer lateness, connect, TLS, network).
import type { Config, RouteRateLimit } from '../config/schema.js'

/** One limit as the store applies it; `window` already includes the margin. */
export interface SlotLimit {
  name: string
  limit: number
  window: number
}

/** A route's own limit is named after the route; shared names cannot contain ':', so they never meet. */
export const routeLimitName = (route: string) => `route:${route}`

export function applicableLimits(
  config: Pick<Config['rateLimit'], 'limits' | 'margin'>,
  method: string,
  route: { name: string; rateLimit?: RouteRateLimit }
): SlotLimit[] {
  const own = route.rateLimit === undefined ? [] : [{ name: routeLimitName(route.name), ...route.rateLimit }]
  const shared = config.limits.filter((limit) => (limit.methods as readonly string[]).includes(method))
  // The route's own first: it names the decision when no limit made the request wait (issue 8, metrics).
  return [...own, ...shared].map(({ name, limit, window }) => ({ name, limit, window: window + config.margin }))
}
