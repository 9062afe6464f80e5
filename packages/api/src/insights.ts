import { z } from 'zod'

// ------------------------------------------------------------------ insights (docs/insights.md)

export const INSIGHT_MEASURE_VALUES = [
  'headline',
  'open-by-priority',
  'new-vs-fixed',
  'time-to-fix',
  'sla',
  'decisions',
  'scanner-overlap',
] as const
export const InsightMeasure = z.enum(INSIGHT_MEASURE_VALUES)
export type InsightMeasure = z.infer<typeof InsightMeasure>

export const INSIGHT_INTERVAL_VALUES = ['day', 'week', 'month'] as const
export const InsightInterval = z.enum(INSIGHT_INTERVAL_VALUES)
export type InsightInterval = z.infer<typeof InsightInterval>

/** The window the answer covers: whole UTC days, both included; buckets start on a Monday or the 1st. */
export const InsightWindow = z.strictObject({
  from: z.string().describe('YYYY-MM-DD'),
  to: z.string().describe('YYYY-MM-DD'),
  interval: InsightInterval,
})
export type InsightWindow = z.infer<typeof InsightWindow>

const count = z.number().int()
const days = z.number().nullable().describe('days, to one decimal; null when nothing was fixed')

export const HeadlineRow = z.strictObject({
  openCritical: count,
  breached: count,
  breachedIsEstimate: z.boolean().describe("breached is the planner's estimate (above 10,000), as the queue's totals"),
  dueIn7Days: count,
  dueIn7DaysIsEstimate: z.boolean(),
  medianDaysToFix: days,
  fixedInWindow: count,
  fixedThisWeek: count,
})
export const OpenByPriorityPoint = z.strictObject({
  bucket: z.string(),
  /** the snapshot day the level is read from; null when the bucket has no snapshot */
  asOf: z.string().nullable(),
  critical: count,
  high: count,
  medium: count,
  low: count,
  info: count,
  total: count,
})
export const FlowPoint = z.strictObject({
  bucket: z.string(),
  new: count,
  fixed: count,
  reopened: count,
  decided: count,
})
export const TimeToFixRow = z.strictObject({
  group: z.enum(['all', 'priority', 'team']),
  key: z.string(),
  label: z.string(),
  fixed: count,
  medianDays: days,
  p90Days: days,
})
export const SlaPoint = z.strictObject({
  bucket: z.string(),
  fixed: count,
  fixedWithinSla: count,
  withinSlaShare: z.number().nullable(),
  breached: count.nullable(),
})
export const SlaSummary = z.strictObject({
  breached: count,
  breachedIsEstimate: z.boolean(),
  dueIn7Days: count,
  dueIn7DaysIsEstimate: z.boolean(),
  fixed: count,
  fixedWithinSla: count,
})
export const DecisionCountRow = z.strictObject({
  group: z.enum(['accepted_by_expiry', 'false_positive_by_source']),
  key: z.string(),
  count,
})
export const OverlapRow = z.strictObject({
  scannerA: z.string(),
  scannerB: z.string(),
  visible: count,
  onlyA: count,
  onlyB: count,
  both: count,
  neither: count,
  aFirst: count,
  bFirst: count,
  sameDay: count,
  aLeadDays: days,
  bLeadDays: days,
})

const answer = <M extends InsightMeasure, S extends z.ZodType>(measure: M, row: S) =>
  z.strictObject({ measure: z.literal(measure), window: InsightWindow, series: z.array(row) })

/** `GET /api/v1/insights/{measure}`: the series of one measure over the window, for the filters given. */
export const Insight = z.discriminatedUnion('measure', [
  answer('headline', HeadlineRow),
  answer('open-by-priority', OpenByPriorityPoint),
  answer('new-vs-fixed', FlowPoint),
  answer('time-to-fix', TimeToFixRow),
  answer('sla', SlaPoint).extend({ summary: SlaSummary }),
  answer('decisions', DecisionCountRow),
  answer('scanner-overlap', OverlapRow),
])
export type Insight = z.infer<typeof Insight>
export type InsightOf<M extends InsightMeasure> = Extract<Insight, { measure: M }>
export type HeadlineRow = z.infer<typeof HeadlineRow>
export type OpenByPriorityPoint = z.infer<typeof OpenByPriorityPoint>
export type FlowPoint = z.infer<typeof FlowPoint>
export type TimeToFixRow = z.infer<typeof TimeToFixRow>
export type SlaPoint = z.infer<typeof SlaPoint>
export type DecisionCountRow = z.infer<typeof DecisionCountRow>
export type OverlapRow = z.infer<typeof OverlapRow>
