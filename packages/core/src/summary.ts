/**
 * Summaries of many values that can be merged and still give percentiles (the dashboard's time to fix and lead days
 * over long windows, ADR 0011). A summary holds `n` values: all of them in order when there are at most
 * `SUMMARY_POINTS`, otherwise that many percentiles (the 0.5th to the 99.5th in even steps), each standing for
 * `n / SUMMARY_POINTS` of the values. The database builds them (`percentile_cont` at `summaryFractions()`); this
 * merges them.
 */
export interface ValueSummary {
  n: number
  values: readonly number[]
}

export const SUMMARY_POINTS = 101

/** The fractions at which a summary of more than SUMMARY_POINTS values takes its percentiles. */
export const summaryFractions = (): number[] =>
  Array.from({ length: SUMMARY_POINTS }, (_, j) => Number(((j + 0.5) / SUMMARY_POINTS).toFixed(6)))

/**
 * The percentiles (0 to 1) of the values the summaries stand for, interpolated as PostgreSQL's `percentile_cont`:
 * exact when every summary holds all its values; otherwise each percentile point weighs what it stands for, which
 * is within about one percent of rank of the exact answer. null when there are no values.
 */
export const mergedPercentiles = (parts: readonly ValueSummary[], ps: readonly number[]): (number | null)[] => {
  const points: { v: number; w: number }[] = []
  let total = 0
  for (const s of parts) {
    if (s.n <= 0 || s.values.length === 0) continue
    const w = s.n / s.values.length
    for (const v of s.values) points.push({ v, w })
    total += s.n
  }
  if (total === 0) return ps.map(() => null)
  points.sort((a, b) => a.v - b.v)
  // ends[i]: how many values the points up to i stand for; the value at index k (0-based, of `total`) is the first
  // point whose end is beyond k
  const ends: number[] = []
  let c = 0
  for (const p of points) {
    c += p.w
    ends.push(c)
  }
  const at = (k: number): number => {
    let lo = 0
    let hi = points.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (ends[mid]! > k + 1e-9) hi = mid
      else lo = mid + 1
    }
    return points[lo]!.v
  }
  return ps.map((p) => {
    const pos = p * (total - 1)
    const lo = Math.floor(pos)
    const a = at(lo)
    const frac = pos - lo
    return frac === 0 ? a : a + frac * (at(Math.min(lo + 1, total - 1)) - a)
  })
}

/** One summary of the values several stand for: all of them when there are at most SUMMARY_POINTS, else percentiles. */
export const mergeSummaries = (parts: readonly ValueSummary[]): ValueSummary => {
  const n = parts.reduce((a, s) => a + s.n, 0)
  if (n <= SUMMARY_POINTS) return { n, values: parts.flatMap((s) => s.values).sort((a, b) => a - b) }
  return { n, values: mergedPercentiles(parts, summaryFractions()) as number[] }
}
