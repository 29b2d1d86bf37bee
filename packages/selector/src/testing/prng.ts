/**
 * A small seeded pseudo-random generator (mulberry32) for deterministic randomised tests and
 * benchmarks. Not for anything security-related.
 */

/** Deterministic random source. */
export interface Prng {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [0, n). */
  int(n: number): number
  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T
  /** True with probability `p`. */
  chance(p: number): boolean
}

/** A mulberry32 generator seeded with `seed` (any 32-bit integer). */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty array')
      return items[int(items.length)]!
    },
    chance: (p: number): boolean => next() < p,
  }
}
