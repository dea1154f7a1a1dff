// The one declaration of the configuration: TypeBox gives the TypeScript type, Ajv validates it.
// Every key has its default and a one-line description here; `config.yaml` documents the same keys.
// Durations ("250ms", "5s" or ms) and sizes ("32MiB" or bytes) are converted to integers during
// validation by the `x-unit` keyword (see validator-source.ts), which is why their static type is `number`.
import { type Static, type TSchema, Type } from '@sinclair/typebox'

type Unit = 'duration' | 'size'

function unit(kind: Unit, fallback: string, description: string) {
  return Type.Unsafe<number>({ type: ['string', 'integer'], 'x-unit': kind, description, default: fallback })
}
const duration = (fallback: string, description: string) => unit('duration', fallback, description)
const size = (fallback: string, description: string) => unit('size', fallback, description)

function section<T extends Record<string, TSchema>>(properties: T, description: string) {
  return Type.Object(properties, { additionalProperties: false, default: {}, description })
}

/** One of a few strings; an `enum` gives Ajv's clear "must be equal to one of the allowed values". */
function choice<const T extends readonly string[]>(
  values: T,
  options: { default?: T[number] | T[number][]; description: string }
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

const Port = (fallback: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: fallback, description })

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
const Method = choice(METHODS, { description: 'an HTTP method' })

export const RETRY_ERRORS = ['connect-failure', 'reset', 'timeout'] as const
// Other 4xx mean the request itself is wrong: repeating it cannot help, so they are not listed.
const RetryOn = Type.Union(
  [choice(RETRY_ERRORS, { description: 'a failure' }), Type.Literal(429), Type.Integer({ minimum: 500, maximum: 599 })],
  { description: 'connect-failure, reset, timeout, 429 or a status code 500-599' }
)

export const JITTERS = ['full', 'equal', 'decorrelated', 'none'] as const

export const RetryPolicySchema = section(
  {
    maxAttempts: Type.Integer({ minimum: 1, maximum: 10, default: 4, description: 'total tries, the first included' }),
    perTryTimeout: duration('15s', 'one attempt, until response headers arrive'),
    timeout: duration('60s', 'the whole request: every attempt and every wait'),
    backoff: section(
      {
        base: duration('250ms', 'ceiling of the first wait; doubles per retry'),
        max: duration('10s', 'cap on any backoff wait'),
        jitter: choice(JITTERS, { default: 'full', description: 'full | equal | decorrelated | none' })
      },
      'exponential backoff between attempts'
    ),
    retryAfter: section(
      {
        honour: Type.Boolean({ default: true, description: 'a Retry-After on 429/503 is a floor for the wait' }),
        max: duration('30s', 'a longer Retry-After returns the answer at once')
      },
      'Retry-After handling'
    ),
    on: Type.Array(RetryOn, {
      default: ['connect-failure', 'reset', 'timeout', 429, 502, 503, 504],
      uniqueItems: true,
      description: 'conditions that may be retried'
    }),
    idempotent: Type.Unsafe<boolean | null>({
      type: ['boolean', 'null'],
      default: null,
      description: 'true/false; null = decided by the method'
    }),
    maxBufferedBody: size('32MiB', 'larger request bodies are sent once, never retried'),
    budget: section(
      {
        ratio: Type.Number({ minimum: 0, maximum: 10, default: 0.2, description: 'retries allowed per request' }),
        minPerSecond: Type.Number({ minimum: 0, default: 10, description: 'retries always allowed per second' }),
        window: duration('10s', 'how long deposits and withdrawals count')
      },
      'per-route retry budget'
    )
  },
  'the default retry policy; every route may override any key'
)

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K]
}

/** The same keys with every one optional and no defaults: what a route may override. */
function overrideOf(schema: TSchema): unknown {
  const { default: _default, required: _required, ...rest } = schema as Record<string, unknown>
  if (rest.type !== 'object' || typeof rest.properties !== 'object') return rest
  const properties = Object.entries(rest.properties as Record<string, TSchema>).map(([key, child]) => [
    key,
    overrideOf(child)
  ])
  return { ...rest, properties: Object.fromEntries(properties) }
}

export const RetryOverrideSchema = Type.Unsafe<DeepPartial<Static<typeof RetryPolicySchema>>>(
  overrideOf(RetryPolicySchema) as TSchema
)

// Only failures can release a key: a released answer lets the client's retry reach Didit again.
const ReleaseOn = (options: { default?: number[]; description: string }) =>
  Type.Array(Type.Integer({ minimum: 400, maximum: 599 }), { uniqueItems: true, ...options })

// Didit counts per API key over a sliding window (didit-api reference, "Rate limits").
export const RouteRateLimitSchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, description: 'requests of this route per window' }),
    window: duration('60s', 'sliding window the limit counts over')
  },
  { additionalProperties: false, description: "the route's own limit, on top of rateLimit.limits" }
)

const SharedLimit = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'metric label and store key' }),
    methods: Type.Array(Method, { minItems: 1, uniqueItems: true, description: 'requests it counts' }),
    limit: Type.Integer({ minimum: 1, description: 'requests per window' }),
    window: duration('60s', 'sliding window the limit counts over')
  },
  { additionalProperties: false }
)

const Route = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'metric and log label' }),
    method: Type.Union([Method, Type.Array(Method, { minItems: 1, uniqueItems: true })], {
      description: 'a method or a non-empty list of methods'
    }),
    path: Type.String({ pattern: '^/', description: 'exact path, or with :parameters' }),
    retry: Type.Optional(RetryOverrideSchema),
    idempotency: Type.Optional(
      Type.Object(
        { releaseOn: Type.Optional(ReleaseOn({ description: 'replaces idempotency.releaseOn for this route' })) },
        { additionalProperties: false, description: 'idempotency settings of this route' }
      )
    ),
    rateLimit: Type.Optional(RouteRateLimitSchema)
  },
  { additionalProperties: false }
)

export const ConfigSchema = Type.Object(
  {
    listen: section(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'proxy address' }),
        port: Port(8080, 'proxy port'),
        bodyLimit: size('32MiB', 'largest request body accepted (413 beyond)'),
        maxBufferedTotal: size('128MiB', 'request bodies held for retries, all together; beyond, streamed once'),
        lingerTime: duration('5s', 'after refusing a body still arriving, discard the rest this long at most'),
        lingerSize: size('16MiB', 'and this many bytes at most, then close the connection')
      },
      'the proxy listener that services call'
    ),
    admin: section(
      {
        host: Type.String({ minLength: 1, default: '0.0.0.0', description: 'admin address' }),
        port: Port(9090, 'admin port: /metrics, /healthz, /readyz'),
        maxConnections: Type.Integer({
          minimum: 1,
          default: 64,
          description: 'open admin connections at most; more are closed at once'
        }),
        timeout: duration('5s', 'an admin connection idle or slow this long is closed')
      },
      'the admin listener'
    ),
    upstream: section(
      {
        url: Type.String({
          pattern: '^https?://[^/?#@\\s]+(/[^?#\\s]*)?$',
          default: 'https://verification.didit.me',
          description: 'Didit base URL; a path prefix is kept'
        }),
        apiKey: Type.String({ default: '', description: 'injected as x-api-key when non-empty' }),
        connectTimeout: duration('5s', 'TCP and TLS connect'),
        bodyIdleTimeout: duration('30s', 'longest silence within a response body before it is cut'),
        connections: Type.Integer({ minimum: 1, maximum: 4096, default: 128, description: 'keep-alive connections' })
      },
      'where requests go'
    ),
    log: section(
      {
        level: choice(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
          default: 'info',
          description: 'pino level'
        })
      },
      'logging'
    ),
    shutdown: section(
      {
        delay: duration('0s', 'keep serving new requests this long after SIGTERM'),
        drainTimeout: duration('25s', 'then wait this long for in-flight requests')
      },
      'graceful shutdown'
    ),
    idempotency: section(
      {
        header: Type.String({
          pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
          default: 'Idempotency-Key',
          description: 'header sent upstream'
        }),
        methods: Type.Array(Method, {
          uniqueItems: true,
          default: ['POST'],
          description: 'requests of these methods get a key when they carry none'
        }),
        store: section(
          {
            type: choice(['memory', 'redis'] as const, { default: 'memory', description: 'memory | redis' }),
            url: Type.String({
              pattern: '^rediss?://',
              default: 'redis://127.0.0.1:6379',
              description: 'redis store only'
            }),
            keyPrefix: Type.String({ default: 'didit-sidecar:', description: 'prefix of every store key' }),
            ttl: duration('24h', 'how long a completed response is replayed'),
            lockTtl: duration('2m', 'an in-flight claim expires after this; its live owner renews it every lockTtl/3'),
            maxResponseBody: size('1MiB', 'larger responses are not stored'),
            maxEntries: Type.Integer({ minimum: 1, default: 10000, description: 'memory store only' }),
            maxBytes: size('64MiB', 'memory store only: bytes held by responses and claims'),
            scopeShare: Type.Number({
              exclusiveMinimum: 0,
              maximum: 1,
              default: 0.5,
              description: 'memory store only: the fraction of maxEntries and maxBytes one tenant may hold'
            }),
            timeout: duration('500ms', 'bound on one store operation'),
            onStoreError: choice(['pass', 'reject'] as const, {
              default: 'pass',
              description: 'pass (forward without deduplication) | reject (503)'
            })
          },
          'where keys and responses are kept'
        ),
        concurrent: choice(['wait', 'reject'] as const, {
          default: 'wait',
          description: 'a duplicate of an in-flight request: wait | reject (409)'
        }),
        waitTimeout: duration('10s', 'longest wait for the in-flight original'),
        pollInterval: duration('50ms', 'how often a waiting duplicate checks the store'),
        releaseOn: ReleaseOn({
          default: [429, 503],
          description: 'upstream statuses (400-599) that release the key instead of being stored'
        })
      },
      'idempotency keys'
    ),
    rateLimit: section(
      {
        enabled: Type.Boolean({ default: true, description: 'false: no limiting and no store traffic' }),
        store: section(
          {
            type: choice(['memory', 'redis'] as const, {
              default: 'memory',
              description: 'memory (this replica) | redis (every replica)'
            }),
            url: Type.String({
              pattern: '^rediss?://',
              default: 'redis://127.0.0.1:6379',
              description: 'redis store only'
            }),
            keyPrefix: Type.String({ default: 'didit-sidecar:rl:', description: 'prefix of every store key' }),
            timeout: duration('200ms', 'bound on one store operation'),
            onStoreError: choice(['local', 'pass', 'reject'] as const, {
              default: 'local',
              description: 'local (this replica counts alone) | pass | reject (503)'
            })
          },
          'where the sliding-window logs are kept'
        ),
        maxWait: duration('2s', 'longest wait for a slot, never past the request timeout; then 429'),
        margin: duration('1s', "added to every window: Didit counts arrivals, which trail the sidecar's decision"),
        limits: Type.Array(SharedLimit, {
          default: [
            { name: 'writes', methods: ['POST', 'PATCH', 'DELETE'], limit: 300, window: '60s' },
            { name: 'reads', methods: ['GET'], limit: 600, window: '60s' }
          ],
          description: "limits per API key shared by every route (Didit's published ones by default)"
        })
      },
      "Didit's rate limits, kept per API key across replicas"
    ),
    retry: RetryPolicySchema,
    routes: Type.Array(Route, { default: [], description: 'per-endpoint policies; first match wins' })
  },
  { additionalProperties: false }
)

export type RawConfig = Static<typeof ConfigSchema>
export type RetryPolicy = Static<typeof RetryPolicySchema>
export type RetryOverride = Static<typeof RetryOverrideSchema>
export type RetryOn = Static<typeof RetryOn>
export type Jitter = (typeof JITTERS)[number]
export type Method = (typeof METHODS)[number]

/** A route's idempotency settings, resolved against the global ones. */
export interface RouteIdempotency {
  releaseOn: readonly number[]
}

/** A route with its policy resolved against the default. */
export interface Route {
  name: string
  methods: readonly Method[]
  path: string
  policy: RetryPolicy
  idempotency: RouteIdempotency
  rateLimit?: RouteRateLimit
}

export type RouteRateLimit = Static<typeof RouteRateLimitSchema>
export type RateLimitConfig = Static<typeof ConfigSchema>['rateLimit']

export type Config = Omit<RawConfig, 'routes'> & { routes: Route[] }
