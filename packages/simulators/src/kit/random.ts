/** A seeded, deterministic random source: the same seed always generates the same dataset. */
export interface Rng {
  next(): number
  int(min: number, max: number): number
  pick<T>(items: readonly T[]): T
  chance(p: number): boolean
  hex(len: number): string
}

export const createRng = (seed: number): Rng => {
  let a = seed >>> 0 || 0x9e3779b9
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
    hex: (len) => {
      let s = ''
      while (s.length < len) s += Math.floor(next() * 16).toString(16)
      return s
    },
  }
}

/** Deterministic record i of a generated dataset: derive a per-record rng so record i never depends on others. */
export const rngFor = (seed: number, i: number): Rng => createRng((seed * 2654435761 + i * 40503) >>> 0)
