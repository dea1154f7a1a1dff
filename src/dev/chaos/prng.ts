// Seeded randomness for the chaos run: the same seed gives the same requests and the same faults,
// whatever order concurrent requests reach the fake Didit in.

/** mulberry32: a tiny seedable generator, uniform enough for a fault plan. */
export function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** A draw in [0, 1) that depends only on the seed and the parts (FNV-1a over them, then mulberry32). */
export function draw(seed: number, ...parts: Array<string | number>): number {
  let hash = 0x811c9dc5 ^ seed
  for (const char of parts.join('\u0000')) hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 0x01000193)
  return prng(hash)()
}

/** Picks a key of `weights` with probability proportional to its weight, from one draw in [0, 1). */
export function weighted<K extends string>(weights: Readonly<Record<K, number>>, point: number): K {
  const entries = Object.entries(weights) as Array<[K, number]>
  const total = entries.reduce((sum, [, w]) => sum + w, 0)
  let left = point * total
  for (const [key, w] of entries) {
    left -= w
    if (left < 0) return key
  }
  // Only reached through rounding at the very top: the last key with weight.
  return ([...entries].reverse().find(([, w]) => w > 0) ?? entries[0])?.[0] as K
}
