import { INSIGHT_INTERVAL_VALUES, type INSIGHT_MEASURE_VALUES, Insight } from '@vulnsync/api'
import {
  checkWindow,
  computeInsight,
  getSlaPolicy,
  type INSIGHT_INTERVALS,
  INSIGHT_MEASURES,
  type InsightWindow,
  isInsightMeasure,
  isoDay,
  type Principal,
  SNAPSHOT_FILTER_KEYS,
  unsupportedFilters,
} from '@vulnsync/db'
import { z } from 'zod'
import type { Runtime } from '../../runtime.ts'
import { ApiError } from '../errors.ts'
import type { Router } from '../route.ts'
import { csvCell, QueueFilterQuery, toQueueFilter } from './vulnerabilities.ts'

// The API contract's measures and intervals are the store's, both ways: a measure added to one list only does not
// compile (the contract package cannot import the store, so the two lists meet here)
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never
const _sameMeasures: Same<(typeof INSIGHT_MEASURE_VALUES)[number], (typeof INSIGHT_MEASURES)[number]> = true
const _sameIntervals: Same<(typeof INSIGHT_INTERVAL_VALUES)[number], (typeof INSIGHT_INTERVALS)[number]> = true

/** The window of an answer when the query names none: the last 90 days (today included), by week. */
export const DEFAULT_WINDOW_DAYS = 90

const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'use a date as YYYY-MM-DD')
  .refine(
    (s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    {
      message: 'not a calendar date',
    },
  )

export const InsightQuery = QueueFilterQuery.extend({
  from: Day.optional(),
  to: Day.optional(),
  interval: z.enum(INSIGHT_INTERVAL_VALUES).default('week'),
  format: z.enum(['json', 'csv']).default('json'),
})

/** A row's values as CSV cells, the header from the first row's keys (the same for every row of a measure). */
export const insightCsv = (rows: Record<string, unknown>[]): string => {
  if (rows.length === 0) return '\n'
  const keys = Object.keys(rows[0]!)
  return `${keys.join(',')}\n${rows.map((r) => keys.map((k) => csvCell(r[k])).join(',')).join('\n')}\n`
}

export const insightRoutes = (rt: Runtime, r: Router) => {
  const answer = async (
    measureParam: string,
    query: z.infer<typeof InsightQuery>,
    principal: Principal,
    csv: boolean,
  ): Promise<{ body: Insight; csv: boolean }> => {
    const asCsv = csv || query.format === 'csv'
    if (!isInsightMeasure(measureParam))
      throw new ApiError(
        404,
        'not_found',
        `there is no measure ${JSON.stringify(measureParam)}; the measures are ${INSIGHT_MEASURES.join(', ')}`,
        'GET /api/v1/insights/{measure}, e.g. /api/v1/insights/open-by-priority',
      )
    const measure = measureParam
    const now = rt.now()
    const to = query.to ?? isoDay(now)
    const from =
      query.from ?? isoDay(new Date(new Date(`${to}T00:00:00Z`).getTime() - (DEFAULT_WINDOW_DAYS - 1) * 86_400_000))
    const window: InsightWindow = { from, to, interval: query.interval }
    checkWindow(window)
    const policy = await getSlaPolicy(rt.db, rt.workspaceId)
    const { from: _f, to: _t, interval: _i, format: _fmt, ...filterQuery } = query
    const filter = toQueueFilter(filterQuery, principal, policy, now)
    const bad = unsupportedFilters(measure, filter)
    if (bad.length)
      throw new ApiError(
        422,
        'unsupported_filter',
        `${measure} is read from the daily snapshots, which keep ${SNAPSHOT_FILTER_KEYS.join(', ')} only; it cannot filter by ${bad.join(', ')}`,
        `drop ${bad.join(', ')}, or look at the queue (GET /api/v1/vulnerabilities) with those filters`,
      )
    const result = await computeInsight(rt.db, rt.workspaceId, measure, filter, window, {
      now,
      dueSoonDays: policy.dueSoonDays,
    })
    return { body: { ...result, window } as Insight, csv: asCsv }
  }

  r.add({
    method: 'GET',
    url: '/api/v1/insights/:measure',
    access: 'viewer',
    summary: `One measure of the dashboard over a window (from, to: YYYY-MM-DD, default the last ${DEFAULT_WINDOW_DAYS} days; interval day, week or month) with the queue's filters; measures: ${INSIGHT_MEASURES.join(', ')}. format=csv (or {measure}.csv) answers the series as CSV`,
    tags: ['insights'],
    params: z.object({ measure: z.string().max(100) }),
    query: InsightQuery,
    response: Insight,
    responses: {
      404: 'no such measure (the message lists them)',
      422: 'to before from, a window too long for its interval, or a filter the measure cannot apply',
    },
    handler: async ({ params, query, principal, reply }) => {
      const csv = params.measure.endsWith('.csv')
      const out = await answer(csv ? params.measure.slice(0, -4) : params.measure, query, principal, csv)
      if (!out.csv) return out.body
      reply.header('content-type', 'text/csv; charset=utf-8')
      reply.header(
        'content-disposition',
        `attachment; filename="vulnsync-${out.body.measure}-${out.body.window.from}-${out.body.window.to}.csv"`,
      )
      return reply.send(insightCsv(out.body.series as unknown as Record<string, unknown>[]))
    },
  })
}
