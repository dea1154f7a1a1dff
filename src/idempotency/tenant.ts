// The scope (tenant) of a store key, for the memory store's per-scope share. Store keys are
// `${prefix}${tenant}:${method}:${path}:${key}` (scopeKey), the tenant being a hex hash, so it
// runs from the prefix to the first colon after it.

/** A function giving the tenant part of store keys that start with `prefix`. */
export function tenantOf(prefix: string): (key: string) => string {
  return (key) => {
    const rest = key.startsWith(prefix) ? key.slice(prefix.length) : key
    const end = rest.indexOf(':')
    return end === -1 ? rest : rest.slice(0, end)
  }
}
