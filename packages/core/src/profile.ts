/**
 * Opt-in stage timers for benchmarks (where a sync's time goes: paging, parsing, validation, mapping, writes). Off by
 * default: a call site costs one boolean test (`if (stageTimers.on)`) and nothing else. A benchmark turns them on in
 * its own process with `startStageTimers()` and reads the totals with `stageTimerTotals()`.
 */
export interface StageTimers {
  on: boolean
  /** total milliseconds per stage */
  ms: Record<string, number>
  /** how many times each stage was timed */
  n: Record<string, number>
}

export const stageTimers: StageTimers = { on: false, ms: {}, n: {} }

/** Adds the time since `t0` (a `performance.now()` taken when the timers were on) to a stage. */
export const addStageTime = (stage: string, t0: number): void => {
  stageTimers.ms[stage] = (stageTimers.ms[stage] ?? 0) + (performance.now() - t0)
  stageTimers.n[stage] = (stageTimers.n[stage] ?? 0) + 1
}

export const startStageTimers = (): void => {
  stageTimers.on = true
  stageTimers.ms = {}
  stageTimers.n = {}
}

export const stopStageTimers = (): void => {
  stageTimers.on = false
}

export const stageTimerTotals = (): Record<string, { ms: number; n: number }> =>
  Object.fromEntries(
    Object.keys(stageTimers.ms).map((k) => [k, { ms: Math.round(stageTimers.ms[k]!), n: stageTimers.n[k] ?? 0 }]),
  )
