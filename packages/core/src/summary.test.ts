import { describe, expect, it } from 'vitest'
import { mergedPercentiles, mergeSummaries, SUMMARY_POINTS, summaryFractions } from './summary.ts'

/** percentile_cont as PostgreSQL computes it, over all the values */
const exact = (values: number[], p: number) => {
  const v = [...values].sort((a, b) => a - b)
  const pos = p * (v.length - 1)
  const lo = Math.floor(pos)
  return v[lo]! + (pos - lo) * ((v[Math.min(lo + 1, v.length - 1)] ?? 0) - v[lo]!)
}
/** a summary as the database builds one: every value up to SUMMARY_POINTS, else the percentiles */
const summarise = (values: number[]) =>
  values.length <= SUMMARY_POINTS
    ? { n: values.length, values: [...values].sort((a, b) => a - b) }
    : { n: values.length, values: summaryFractions().map((f) => exact(values, f)) }

describe('merged percentiles', () => {
  it('are exact, as percentile_cont, when every summary holds all its values', () => {
    const parts = [
      { n: 2, values: [3, 14] },
      { n: 1, values: [16] },
    ]
    // [3, 14, 16]: the median 14, p90 14 + 0.8 × 2
    expect(mergedPercentiles(parts, [0.5, 0.9])).toEqual([14, 15.6])
    expect(mergedPercentiles([{ n: 1, values: [2] }], [0.5, 0.9])).toEqual([2, 2])
    expect(mergedPercentiles([{ n: 4, values: [1, 2, 3, 4] }], [0.5])).toEqual([2.5])
  })

  it('are null without values', () => {
    expect(mergedPercentiles([], [0.5])).toEqual([null])
    expect(mergedPercentiles([{ n: 0, values: [] }], [0.5, 0.9])).toEqual([null, null])
  })

  it('stay within one percent of rank when months of thousands of values are merged from their percentiles', () => {
    // 24 months of skewed fix times (days), each summarised to its percentiles, then merged
    let seed = 7
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed / 2147483648
    }
    const months = Array.from({ length: 24 }, (_, m) =>
      Array.from({ length: 500 + m * 40 }, () => Math.round(-Math.log(1 - rand()) * (10 + m) * 10) / 10),
    )
    const all = months.flat().sort((a, b) => a - b)
    const [med, p90] = mergedPercentiles(months.map(summarise), [0.5, 0.9]) as [number, number]
    const rankOf = (v: number) => all.filter((x) => x <= v).length / all.length
    expect(Math.abs(rankOf(med) - 0.5)).toBeLessThan(0.01)
    expect(Math.abs(rankOf(p90) - 0.9)).toBeLessThan(0.01)
    expect(Math.abs(med - exact(all, 0.5)) / exact(all, 0.5)).toBeLessThan(0.03)
  })

  it('merge into one summary: every value while there are few, percentiles that answer the same beyond', () => {
    expect(
      mergeSummaries([
        { n: 2, values: [3, 14] },
        { n: 1, values: [16] },
        { n: 0, values: [] },
      ]),
    ).toEqual({
      n: 3,
      values: [3, 14, 16],
    })
    const days = Array.from({ length: 30 }, (_, d) => Array.from({ length: 20 + d }, (_, k) => (k * 7 + d) % 90))
    const parts = days.map(summarise)
    const month = mergeSummaries(parts)
    expect(month.n).toBe(days.flat().length)
    expect(month.values).toHaveLength(SUMMARY_POINTS)
    const [a, b] = [mergedPercentiles([month], [0.5, 0.9]), mergedPercentiles(parts, [0.5, 0.9])] as number[][]
    expect(Math.abs(a![0]! - b![0]!)).toBeLessThan(1)
    expect(Math.abs(a![1]! - b![1]!)).toBeLessThan(1)
  })
})
