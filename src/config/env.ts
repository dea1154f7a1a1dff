// `${VAR}` and `${VAR:-default}` expansion in every string of the parsed config file.
// Expansion happens on parsed values, never on raw YAML text, so a variable cannot inject structure.

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

export type Env = Readonly<Record<string, string | undefined>>

export function expandString(value: string, env: Env): string {
  return value.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
    const set = env[name]
    // Shell semantics of `:-`: an empty variable also takes the default.
    if (set !== undefined && set !== '') return set
    return fallback ?? ''
  })
}

export function expandEnv(value: unknown, env: Env): unknown {
  if (typeof value === 'string') return expandString(value, env)
  if (Array.isArray(value)) return value.map((item) => expandEnv(item, env))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expandEnv(item, env)]))
  }
  return value
}
