// Human-friendly units for the config file: durations ("250ms", "5s", "2m", "1h" or an integer in ms)
// and sizes ("512KiB", "32MiB" or an integer in bytes). Both parse to plain integers.

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/
const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

const SIZE = /^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB|KB|MB|GB)$/
const SIZE_BYTES: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3
}

/** Milliseconds from a duration string or an integer number of ms. */
export function parseDuration(value: string | number): number {
  return parseUnit(value, DURATION, DURATION_MS, 'duration')
}

/** Bytes from a size string or an integer number of bytes. */
export function parseSize(value: string | number): number {
  return parseUnit(value, SIZE, SIZE_BYTES, 'size')
}

/**
 * A duration or size as an integer, or undefined when the value is not one: the conversion that
 * the generated config validator's `x-unit` keyword calls (see validator-source.ts).
 */
export function convertUnit(kind: string, value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined
  try {
    return kind === 'duration' ? parseDuration(value) : parseSize(value)
  } catch {
    return undefined
  }
}

function parseUnit(value: string | number, pattern: RegExp, units: Record<string, number>, kind: string): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return value
    throw new RangeError(`invalid ${kind}: ${value}`)
  }
  const match = pattern.exec(value.trim())
  const unit = match?.[2]
  if (match === null || unit === undefined) throw new RangeError(`invalid ${kind}: ${value}`)
  return Math.round(Number(match[1]) * (units[unit] as number))
}

/** Renders milliseconds back in the largest exact unit, for printing the effective config. */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    const size = DURATION_MS[unit] as number
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

/** Renders bytes back in the largest exact binary unit. */
export function formatSize(bytes: number): string {
  for (const unit of ['GiB', 'MiB', 'KiB'] as const) {
    const size = SIZE_BYTES[unit] as number
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`
  }
  return `${bytes}B`
}
