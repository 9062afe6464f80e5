import { severityFromRank, severityRank } from '@vulnsync/core'
import type { Db, Queryable } from './driver.ts'
import { InputError } from './errors.ts'
import { countIssues, type QueueFilter, queueWhere, withSearchTerms } from './queue-store.ts'

/**
 * Insights (ADR 0011, docs/insights.md): the history of open issues as daily counts (`insight_snapshots`, levels) and
 * the measures read from it, from the issues and from their timeline (`issue_events`, flows). Every measure is one or
 * a few SQL statements; the caller gives the workspace, the queue's filter, the window and the time it is judged at.
 */

export const INSIGHT_MEASURES = [
  'headline',
  'open-by-priority',
  'new-vs-fixed',
  'time-to-fix',
  'sla',
  'decisions',
  'scanner-overlap',
] as const
export type InsightMeasure = (typeof INSIGHT_MEASURES)[number]
export const isInsightMeasure = (s: string): s is InsightMeasure => (INSIGHT_MEASURES as readonly string[]).includes(s)

export const INSIGHT_INTERVALS = ['day', 'week', 'month'] as const
export type InsightInterval = (typeof INSIGHT_INTERVALS)[number]

/** The longest window of each interval, in days: at most about 120 points a series. */
export const MAX_WINDOW_DAYS: Record<InsightInterval, number> = { day: 120, week: 840, month: 3660 }

/** The filters a snapshot keeps (its dimensions); measures read from snapshots take only these. */
export const SNAPSHOT_FILTER_KEYS = ['source', 'priority', 'team', 'application'] as const
/** Measures read from the snapshots (levels over time). */
export const SNAPSHOT_MEASURES: readonly InsightMeasure[] = ['open-by-priority', 'sla']

/** A window of whole UTC days, `from` and `to` included (YYYY-MM-DD). */
export interface InsightWindow {
  from: string
  to: string
  interval: InsightInterval
}

export interface InsightContext {
  /** the time "now", "currently" and "this week" are judged at */
  now: Date
  /** the SLA policy's due-soon days (snapshot SLA states) */
  dueSoonDays: number
}

const PRIORITIES = ['critical', 'high', 'medium', 'low', 'info'] as const
type Priority = (typeof PRIORITIES)[number]

const DAY_MS = 86_400_000
export const isoDay = (d: Date) => d.toISOString().slice(0, 10)
const dayStart = (day: string) => new Date(`${day}T00:00:00.000Z`)
const addDays = (day: string, n: number) => isoDay(new Date(dayStart(day).getTime() + n * DAY_MS))

/** The first day of the bucket a day falls in (weeks start on Monday, as PostgreSQL's date_trunc). */
export const bucketOf = (day: string, interval: InsightInterval): string => {
  if (interval === 'day') return day
  if (interval === 'month') return `${day.slice(0, 7)}-01`
  const d = dayStart(day)
  return addDays(day, -((d.getUTCDay() + 6) % 7))
}

/**
 * The first day of the period a day falls in (the rolled-up flows, ADR 0011): its week (from Monday), cut at the
 * first of a month, so that a period never straddles a week or a month.
 */
export const periodOf = (day: string): string => {
  const week = bucketOf(day, 'week')
  const month = bucketOf(day, 'month')
  return week > month ? week : month
}
/** The first day of the month after the one a day falls in. */
const nextMonthOf = (day: string): string => {
  const d = dayStart(day)
  return isoDay(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)))
}
/** The first day of the next period. */
const nextPeriod = (day: string): string => {
  const nextWeek = addDays(bucketOf(day, 'week'), 7)
  const nextMonth = nextMonthOf(day)
  return nextWeek < nextMonth ? nextWeek : nextMonth
}
const minDay = (a: string, b: string) => (a < b ? a : b)
/** The period of a timestamp column, in SQL (as `periodOf`). */
const periodSql = (col: string) =>
  `greatest(date_trunc('week', ${col} AT TIME ZONE 'UTC'), date_trunc('month', ${col} AT TIME ZONE 'UTC'))::date`

/** Every bucket of a window, in order (the first may start before `from`). */
export const bucketsOf = (w: InsightWindow): string[] => {
  const out: string[] = []
  let b = bucketOf(w.from, w.interval)
  while (b <= w.to) {
    out.push(b)
    if (w.interval === 'day') b = addDays(b, 1)
    else if (w.interval === 'week') b = addDays(b, 7)
    else b = nextMonthOf(b)
  }
  return out
}

/** Refuses a window that is reversed or too long for its interval. */
export const checkWindow = (w: InsightWindow): void => {
  if (w.to < w.from)
    throw new InputError('invalid_window', `to (${w.to}) is before from (${w.from})`, 'give a to on or after from', 422)
  const days = (dayStart(w.to).getTime() - dayStart(w.from).getTime()) / DAY_MS + 1
  const max = MAX_WINDOW_DAYS[w.interval]
  if (days > max)
    throw new InputError(
      'window_too_long',
      `a window of ${days} days is too long for interval ${w.interval} (at most ${max} days)`,
      w.interval === 'month' ? 'shorten the window' : 'shorten the window, or use a longer interval (week or month)',
      422,
    )
}

/** The filter keys a measure does not take (set in `f`), so the caller can refuse them. */
export const unsupportedFilters = (measure: InsightMeasure, f: QueueFilter): string[] => {
  if (!SNAPSHOT_MEASURES.includes(measure)) return []
  return Object.entries(f)
    .filter(([k, v]) => v !== undefined && v !== false && !(SNAPSHOT_FILTER_KEYS as readonly string[]).includes(k))
    .map(([k]) => k)
}

// ---------------------------------------------------------------------------------------------------- snapshots

/** The SLA state of an open issue at `$now` (a parameter) with `$soon` due-soon days. */
const slaStateSql = (now: string, soon: string) => `CASE WHEN i.sla_due_at IS NULL THEN 'none'
  WHEN i.sla_due_at < ${now}::timestamptz THEN 'breached'
  WHEN i.sla_due_at < ${now}::timestamptz + make_interval(days => ${soon}::int) THEN 'due_soon' ELSE 'ok' END`

const SOURCES_SQL = `COALESCE((SELECT array_agg(DISTINCT s.kind ORDER BY s.kind) FROM issue_sources s WHERE s.issue_id = i.id), '{}')`

/** One writer of a workspace's history at a time (the daily job, the end of a sync, a backfill). */
const lockHistory = (tx: Queryable, workspaceId: string) =>
  tx.query(`SELECT pg_advisory_xact_lock(727017, hashtext($1::text))`, [workspaceId])

/** Replaces the snapshot of the day `at` falls in (UTC) with the open issues as they are now. */
const writeSnapshot = async (
  tx: Queryable,
  workspaceId: string,
  at: Date,
  dueSoonDays: number,
  origin: 'daily' | 'sync' | 'generated',
): Promise<number> => {
  const day = isoDay(at)
  await tx.query(`DELETE FROM insight_snapshots WHERE workspace_id = $1 AND day = $2::date`, [workspaceId, day])
  const r = await tx.query(
    `INSERT INTO insight_snapshots (workspace_id, day, priority, team_id, application_id, sla_state, sources, open)
     SELECT $1, $2::date, x.priority, x.owner_team_id, x.application_id, x.sla_state, x.sources, count(*)::int
       FROM (SELECT i.priority, i.owner_team_id, i.application_id, ${slaStateSql('$3', '$4')} AS sla_state,
                    ${SOURCES_SQL} AS sources
               FROM issues i WHERE i.workspace_id = $1 AND i.status = 'open') x
      GROUP BY x.priority, x.owner_team_id, x.application_id, x.sla_state, x.sources`,
    [workspaceId, day, at, dueSoonDays],
  )
  await tx.query(
    `INSERT INTO insight_snapshot_days (workspace_id, day, taken_at, origin) VALUES ($1, $2::date, $3, $4)
     ON CONFLICT (workspace_id, day) DO UPDATE SET taken_at = excluded.taken_at, origin = excluded.origin`,
    [workspaceId, day, at, origin],
  )
  return r.rowCount
}

/** Takes (or retakes) today's snapshot: the daily job and the end of every sync. Returns the rows written. */
export const takeSnapshot = (
  db: Db,
  workspaceId: string,
  o: { now: Date; dueSoonDays: number; origin: 'daily' | 'sync' | 'generated' },
): Promise<number> =>
  db.transaction(async (tx) => {
    await lockHistory(tx, workspaceId)
    return writeSnapshot(tx, workspaceId, o.now, o.dueSoonDays, o.origin)
  })

/**
 * Rebuilds the levels of past days from the issues' own dates (ADR 0011): an issue counts as open at the end of each
 * day from its detection to its close (`closed_at`), with its current priority, owner and sources, and the SLA state
 * its due date gives that day. Days [from, to] that have a snapshot already are left alone. Set-based: each issue
 * gives at most eight change points, and a running sum per combination turns them into daily levels.
 */
export const backfillSnapshots = async (
  tx: Queryable,
  workspaceId: string,
  o: { from: string; to: string; dueSoonDays: number },
): Promise<{ days: number; rows: number }> => {
  if (o.to < o.from) return { days: 0, rows: 0 }
  const rows = await tx.query(
    `WITH iss AS (
       SELECT i.priority, i.owner_team_id AS t, i.application_id AS a, ${SOURCES_SQL} AS src,
              greatest((i.detected_at AT TIME ZONE 'UTC')::date, $2::date) AS s,
              least(COALESCE((i.closed_at AT TIME ZONE 'UTC')::date, $3::date + 1), $3::date + 1) AS e,
              (i.sla_due_at AT TIME ZONE 'UTC')::date AS due
         FROM issues i
        WHERE i.workspace_id = $1 AND i.detected_at < ($3::date + 1)::timestamp AT TIME ZONE 'UTC'
          AND (i.closed_at IS NULL OR i.closed_at >= ($2::date + 1)::timestamp AT TIME ZONE 'UTC')),
     seg AS (
       SELECT priority, t, a, src, 'none' AS st, s AS f, e AS u FROM iss WHERE due IS NULL
       UNION ALL SELECT priority, t, a, src, 'ok', s, least(e, due - $4::int) FROM iss WHERE due IS NOT NULL
       UNION ALL SELECT priority, t, a, src, 'due_soon', greatest(s, due - $4::int), least(e, due) FROM iss WHERE due IS NOT NULL
       UNION ALL SELECT priority, t, a, src, 'breached', greatest(s, due), e FROM iss WHERE due IS NOT NULL),
     delta AS (
       SELECT priority, t, a, src, st, day, sum(d)::int AS d FROM (
         SELECT priority, t, a, src, st, f AS day, 1 AS d FROM seg WHERE f < u
         UNION ALL SELECT priority, t, a, src, st, u, -1 FROM seg WHERE f < u) x
        GROUP BY priority, t, a, src, st, day),
     lvl AS (
       SELECT priority, t, a, src, st, day,
              sum(d) OVER w AS n, lead(day) OVER (PARTITION BY priority, t, a, src, st ORDER BY day) AS nxt
         FROM delta WINDOW w AS (PARTITION BY priority, t, a, src, st ORDER BY day))
     INSERT INTO insight_snapshots (workspace_id, day, priority, team_id, application_id, sla_state, sources, open)
     SELECT $1, g.day::date, l.priority, l.t, l.a, l.st, l.src, l.n
       FROM lvl l, generate_series(l.day, COALESCE(l.nxt, $3::date + 1) - 1, interval '1 day') AS g(day)
      WHERE l.n > 0 AND l.day <= $3::date
        AND NOT EXISTS (SELECT 1 FROM insight_snapshot_days sd WHERE sd.workspace_id = $1 AND sd.day = g.day::date)`,
    [workspaceId, o.from, o.to, o.dueSoonDays],
  )
  const days = await tx.query(
    `INSERT INTO insight_snapshot_days (workspace_id, day, taken_at, origin)
     SELECT $1, g.day::date, now(), 'backfill' FROM generate_series($2::date, $3::date, interval '1 day') AS g(day)
     ON CONFLICT (workspace_id, day) DO NOTHING`,
    [workspaceId, o.from, o.to],
  )
  return { days: days.rowCount, rows: rows.rowCount }
}

/**
 * Rebuilds what a connection covers (`issue_coverage`: the targets and ecosystems it reports anything on, which
 * scanner overlap reads), or every connection's of the workspace, and fills in each new source row's own first
 * detection (`issue_sources.detected_at`: the earliest detection of the connection's occurrences of the issue; the
 * ingest writes source rows without it). Called at the end of each sync of the connection; set-based, one pass over
 * that connection's issue sources.
 */
export const refreshCoverage = (db: Db, workspaceId: string, connectionId?: string): Promise<number> =>
  db.transaction(async (tx) => {
    const which = connectionId ? 'AND s.connection_id = $2' : ''
    const params = connectionId ? [workspaceId, connectionId] : [workspaceId]
    // the source rows still without one, then their occurrences, in one join the planner can hash (a first import
    // leaves every row of the connection to do)
    await tx.query(
      `WITH todo AS (SELECT s.issue_id, s.connection_id FROM issue_sources s JOIN issues i ON i.id = s.issue_id
                      WHERE i.workspace_id = $1 AND s.detected_at IS NULL ${which})
       UPDATE issue_sources s SET detected_at = x.at
         FROM (SELECT o.issue_id, o.connection_id, min(o.detected_at) AS at
                 FROM todo JOIN occurrences o ON o.issue_id = todo.issue_id AND o.connection_id = todo.connection_id
                GROUP BY 1, 2) x
        WHERE s.issue_id = x.issue_id AND s.connection_id = x.connection_id`,
      params,
    )
    await tx.query(`DELETE FROM issue_coverage s WHERE s.workspace_id = $1 ${which}`, params)
    const r = await tx.query(
      `INSERT INTO issue_coverage (workspace_id, connection_id, target_key, ecosystem)
       SELECT DISTINCT i.workspace_id, s.connection_id, i.target_key, i.ecosystem
         FROM issue_sources s JOIN issues i ON i.id = s.issue_id
        WHERE i.workspace_id = $1 ${which}`,
      params,
    )
    return r.rowCount
  })

// ---------------------------------------------------------------------------------------------------- flows

/** The first period not rolled up yet (null: none is). */
const flowsRolledTo = async (db: Queryable, workspaceId: string): Promise<string | null> =>
  (
    await db.query<{ d: string }>(`SELECT rolled_to::text AS d FROM insight_flow_state WHERE workspace_id = $1`, [
      workspaceId,
    ])
  ).rows[0]?.d ?? null

/**
 * Replaces the flow rows of the periods [from, to) (period starts) with the counts of the issues and their timeline:
 * new by detection, fixed, reopened and decided by their status events, the SLA of the issues verified fixed now by
 * their fix, each with the issue's priority, owner and sources as they are now (the periods keep them; the snapshots
 * keep levels the same way).
 */
const writeFlows = async (tx: Queryable, workspaceId: string, from: string, to: string): Promise<number> => {
  const start = `($2::date)::timestamp AT TIME ZONE 'UTC'`
  const end = `($3::date)::timestamp AT TIME ZONE 'UTC'`
  await tx.query(`DELETE FROM insight_flows WHERE workspace_id = $1 AND period >= $2::date AND period < $3::date`, [
    workspaceId,
    from,
    to,
  ])
  const r = await tx.query(
    `INSERT INTO insight_flows (workspace_id, period, priority, team_id, application_id, sources, new, fixed, reopened,
       decided, fixed_due, fixed_within)
     SELECT $1, x.period, x.priority, x.owner_team_id, x.application_id, x.sources, sum(x.n)::int,
            count(*) FILTER (WHERE x.kind = 'fixed')::int, count(*) FILTER (WHERE x.kind = 'reopened')::int,
            count(*) FILTER (WHERE x.kind = 'decided')::int, count(*) FILTER (WHERE x.kind = 'sla')::int,
            count(*) FILTER (WHERE x.kind = 'sla' AND x.within)::int
       FROM (SELECT ${periodSql('i.detected_at')} AS period, i.priority, i.owner_team_id, i.application_id,
                    ${SOURCES_SQL} AS sources, 1 AS n, NULL AS kind, NULL::boolean AS within
               FROM issues i WHERE i.workspace_id = $1 AND i.detected_at >= ${start} AND i.detected_at < ${end}
             UNION ALL
             SELECT ${periodSql('ev.at')}, i.priority, i.owner_team_id, i.application_id, ${SOURCES_SQL}, 0, k.kind, NULL
               FROM issue_events ev CROSS JOIN LATERAL (SELECT ${FLOW_KIND_SQL} AS kind) k
               JOIN issues i ON i.id = ev.issue_id
              WHERE ev.workspace_id = $1 AND ev.type = 'status' AND ev.at >= ${start} AND ev.at < ${end}
                AND k.kind IS NOT NULL
             UNION ALL
             SELECT ${periodSql('i.fixed_at')}, i.priority, i.owner_team_id, i.application_id, ${SOURCES_SQL}, 0, 'sla',
                    i.fixed_at <= i.sla_due_at
               FROM issues i WHERE i.workspace_id = $1 AND i.status = 'fixed' AND i.sla_due_at IS NOT NULL
                AND i.fixed_at >= ${start} AND i.fixed_at < ${end}) x
      GROUP BY x.period, x.priority, x.owner_team_id, x.application_id, x.sources`,
    [workspaceId, from, to],
  )
  return r.rowCount
}

export interface RollFlowsResult {
  /** periods rolled up for the first time */
  rolled: number
  /**
   * rolled periods counted again: those the issues created since the last roll have a detection or a status change in,
   * and those the issues whose status changed since have a fix in
   */
  recounted: number
}

/**
 * Rolls up the flows of the complete periods before the one `now` is in (the daily job, every minute: nothing to do
 * most of the time; the first run counts every period since the first detection). With `late` (the end of a sync),
 * also counts again the rolled periods the issues created since the last roll (an hour's margin for transactions
 * still open then) have a detection or a status change in: a scanner's original detection time is often months old.
 */
export const rollFlows = (db: Db, workspaceId: string, o: { now: Date; late?: boolean }): Promise<RollFlowsResult> =>
  db.transaction(async (tx) => {
    const target = periodOf(isoDay(o.now))
    const state = (
      await tx.query<{ to: string; at: Date }>(
        `SELECT rolled_to::text AS to, rolled_at AS at FROM insight_flow_state WHERE workspace_id = $1`,
        [workspaceId],
      )
    ).rows[0]
    if (state && state.to >= target && !o.late) return { rolled: 0, recounted: 0 }
    await lockHistory(tx, workspaceId)
    let from = state?.to ?? null
    if (!state) {
      const first = await tx.query<{ d: string | null }>(
        `SELECT (least((SELECT min(detected_at) FROM issues WHERE workspace_id = $1),
                       (SELECT min(at) FROM issue_events WHERE workspace_id = $1 AND type = 'status'))
                  AT TIME ZONE 'UTC')::date::text AS d`,
        [workspaceId],
      )
      const d = first.rows[0]!.d
      from = d ? periodOf(d) : target
    }
    let rolled = 0
    if (from! < target) {
      await writeFlows(tx, workspaceId, from!, target)
      for (let p = from!; p < target; p = nextPeriod(p)) rolled++
    }
    let recounted = 0
    if (state && o.late) {
      const late = await tx.query<{ p: string }>(
        `WITH n AS (SELECT id, detected_at FROM issues
                     WHERE workspace_id = $1 AND created_at >= $2::timestamptz - interval '1 hour')
         , changed AS (SELECT DISTINCT issue_id FROM issue_events
                        WHERE workspace_id = $1 AND type = 'status' AND at >= $2::timestamptz - interval '1 hour')
         SELECT p::text FROM (
           SELECT ${periodSql('n.detected_at')} AS p FROM n
           UNION SELECT ${periodSql('ev.at')} FROM issue_events ev JOIN n ON n.id = ev.issue_id
            WHERE ev.workspace_id = $1 AND ev.type = 'status'
           -- a reopened issue leaves the period of its fix (its fixed_at is gone: the fix's event says when)
           UNION SELECT ${periodSql('ev.at')} FROM issue_events ev JOIN changed c ON c.issue_id = ev.issue_id
            WHERE ev.type = 'status' AND ev.detail->>'to' = 'fixed') x
          WHERE p < $3::date ORDER BY 1`,
        [workspaceId, state.at, state.to],
      )
      for (const { p } of late.rows) await writeFlows(tx, workspaceId, p, nextPeriod(p))
      recounted = late.rows.length
    }
    await tx.query(
      `INSERT INTO insight_flow_state (workspace_id, rolled_to, rolled_at) VALUES ($1, $2::date, now())
       ON CONFLICT (workspace_id) DO UPDATE SET rolled_to = greatest(insight_flow_state.rolled_to, excluded.rolled_to),
         rolled_at = excluded.rolled_at`,
      [workspaceId, target],
    )
    return { rolled, recounted }
  })

/** Drops the history before a day (the retention setting). */
export const pruneSnapshots = async (tx: Queryable, workspaceId: string, before: string): Promise<number> => {
  await tx.query(`DELETE FROM insight_snapshot_days WHERE workspace_id = $1 AND day < $2::date`, [workspaceId, before])
  return (
    await tx.query(`DELETE FROM insight_snapshots WHERE workspace_id = $1 AND day < $2::date`, [workspaceId, before])
  ).rowCount
}

export interface DailySnapshotResult {
  /** false when today's snapshot existed already */
  taken: boolean
  /** days rebuilt from the issues' dates (first run after the upgrade) */
  backfilledDays: number
  prunedRows: number
}

/**
 * The daily job (called by the scheduler's minute; cheap when today's snapshot exists): on the first run with no
 * history at all, rebuild it from the issues' dates (at most `retentionDays` back); then take today's snapshot and
 * drop what is older than the retention.
 */
export const ensureDailySnapshot = (
  db: Db,
  workspaceId: string,
  o: { now: Date; dueSoonDays: number; retentionDays: number },
): Promise<DailySnapshotResult> =>
  db.transaction(async (tx) => {
    const today = isoDay(o.now)
    const seen = await tx.query<{ today: boolean; any: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM insight_snapshot_days WHERE workspace_id = $1 AND day = $2::date) AS today,
              EXISTS (SELECT 1 FROM insight_snapshot_days WHERE workspace_id = $1) AS any`,
      [workspaceId, today],
    )
    if (seen.rows[0]!.today) return { taken: false, backfilledDays: 0, prunedRows: 0 }
    await lockHistory(tx, workspaceId)
    const oldest = addDays(today, -(o.retentionDays - 1))
    let backfilledDays = 0
    if (!seen.rows[0]!.any) {
      const first = await tx.query<{ day: string | null }>(
        `SELECT (min(detected_at) AT TIME ZONE 'UTC')::date::text AS day FROM issues WHERE workspace_id = $1`,
        [workspaceId],
      )
      const from = first.rows[0]!.day
      if (from)
        backfilledDays = (
          await backfillSnapshots(tx, workspaceId, {
            from: from > oldest ? from : oldest,
            to: addDays(today, -1),
            dueSoonDays: o.dueSoonDays,
          })
        ).days
    }
    await writeSnapshot(tx, workspaceId, o.now, o.dueSoonDays, 'daily')
    const prunedRows = await pruneSnapshots(tx, workspaceId, oldest)
    return { taken: true, backfilledDays, prunedRows }
  })

// ---------------------------------------------------------------------------------------------------- measures

export type PriorityCounts = Record<Priority, number>

export interface OpenByPriorityPoint extends PriorityCounts {
  bucket: string
  /** the snapshot day the level is read from (the bucket's last day with one); null: no snapshot in the bucket */
  asOf: string | null
  total: number
}

export interface FlowPoint {
  bucket: string
  new: number
  fixed: number
  reopened: number
  decided: number
}

export interface TimeToFixRow {
  group: 'all' | 'priority' | 'team'
  /** the priority, the team's id, `none` (no team), or '' for all */
  key: string
  label: string
  fixed: number
  medianDays: number | null
  p90Days: number | null
}

export interface SlaPoint {
  bucket: string
  /** issues verified fixed in the bucket that had a due date, and of them fixed by it */
  fixed: number
  fixedWithinSla: number
  withinSlaShare: number | null
  /** open issues past their due date at the bucket's last snapshot */
  breached: number | null
}

export interface DecisionCountRow {
  group: 'accepted_by_expiry' | 'false_positive_by_source'
  /** the expiry month (YYYY-MM) or the connector kind */
  key: string
  count: number
}

export interface OverlapRow {
  scannerA: string
  scannerB: string
  /** issues on targets and ecosystems both scanners report on */
  visible: number
  onlyA: number
  onlyB: number
  both: number
  /** found by neither of the two (another scanner found them) */
  neither: number
  /** of those both found: A at least a day before B, B before A, within a day of each other */
  aFirst: number
  bFirst: number
  sameDay: number
  /** median days ahead when A was first, when B was first */
  aLeadDays: number | null
  bLeadDays: number | null
}

export interface HeadlineRow {
  openCritical: number
  /** open issues past due now; an estimate (flagged) above EXACT_COUNT_LIMIT, as the queue's totals */
  breached: number
  breachedIsEstimate: boolean
  /** open issues due in the next 7 days; the same */
  dueIn7Days: number
  dueIn7DaysIsEstimate: boolean
  /** median days from detection to the verified fix, of the issues fixed in the window */
  medianDaysToFix: number | null
  fixedInWindow: number
  /** issues verified fixed since Monday 00:00 UTC of the week `now` is in */
  fixedThisWeek: number
}

export type InsightResult =
  | { measure: 'headline'; series: HeadlineRow[] }
  | { measure: 'open-by-priority'; series: OpenByPriorityPoint[] }
  | { measure: 'new-vs-fixed'; series: FlowPoint[] }
  | { measure: 'time-to-fix'; series: TimeToFixRow[] }
  | {
      measure: 'sla'
      series: SlaPoint[]
      summary: {
        breached: number
        breachedIsEstimate: boolean
        dueIn7Days: number
        dueIn7DaysIsEstimate: boolean
        fixed: number
        fixedWithinSla: number
      }
    }
  | { measure: 'decisions'; series: DecisionCountRow[] }
  | { measure: 'scanner-overlap'; series: OverlapRow[] }

const round1 = (n: number | null | undefined) => (n === null || n === undefined ? null : Math.round(n * 10) / 10)
const share = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 1000) / 1000)

/** The window's bounds as instants: from 00:00 of `from` to 00:00 of the day after `to`. */
const bounds = (w: InsightWindow) => ({ start: dayStart(w.from), end: dayStart(addDays(w.to, 1)) })

/** The snapshot rows' condition for the dimension filters (alias `s`). */
const snapshotWhere = (f: QueueFilter, p: (v: unknown) => string): string => {
  const out: string[] = []
  if (f.source?.length) out.push(`s.sources && ${p(f.source)}::text[]`)
  if (f.priority?.length) out.push(`s.priority = ANY(${p(f.priority)}::text[])`)
  if (f.team !== undefined) out.push(f.team === null ? 's.team_id IS NULL' : `s.team_id = ${p(f.team)}::uuid`)
  if (f.application !== undefined)
    out.push(f.application === null ? 's.application_id IS NULL' : `s.application_id = ${p(f.application)}::uuid`)
  return out.length ? ` AND ${out.join(' AND ')}` : ''
}

/** Levels from the snapshots: the bucket's last snapshot day, summed by a column (or one total). */
const levels = async (
  db: Queryable,
  workspaceId: string,
  f: QueueFilter,
  w: InsightWindow,
  o: { by: 'priority' | null; slaState?: string },
) => {
  const params: unknown[] = [workspaceId, w.from, w.to]
  const p = (v: unknown) => {
    params.push(v)
    return `$${params.length}`
  }
  const cond = snapshotWhere(f, p) + (o.slaState ? ` AND s.sla_state = ${p(o.slaState)}` : '')
  const { rows } = await db.query<{ bucket: string; day: string; key: string | null; n: number | null }>(
    `WITH asof AS (
       SELECT date_trunc('${w.interval}', d.day)::date AS bucket, max(d.day) AS day
         FROM insight_snapshot_days d WHERE d.workspace_id = $1 AND d.day BETWEEN $2::date AND $3::date GROUP BY 1)
     -- a lateral read of each day's rows: a join let the planner hash the whole history for a long window
     SELECT a.bucket::text AS bucket, a.day::text AS day, l.key, l.n
       FROM asof a LEFT JOIN LATERAL (
         SELECT ${o.by ? `s.${o.by}` : 'NULL::text'} AS key, sum(s.open)::int AS n
           FROM insight_snapshots s WHERE s.workspace_id = $1 AND s.day = a.day${cond} GROUP BY 1) l ON true`,
    params,
  )
  return rows
}

const openByPriority = async (db: Queryable, ws: string, f: QueueFilter, w: InsightWindow) => {
  const rows = await levels(db, ws, f, w, { by: 'priority' })
  const byBucket = new Map<string, OpenByPriorityPoint>()
  for (const b of bucketsOf(w))
    byBucket.set(b, { bucket: b, asOf: null, critical: 0, high: 0, medium: 0, low: 0, info: 0, total: 0 })
  for (const r of rows) {
    const pt = byBucket.get(r.bucket)
    if (!pt) continue
    pt.asOf = r.day
    if (r.key && (PRIORITIES as readonly string[]).includes(r.key)) {
      pt[r.key as Priority] += r.n ?? 0
      pt.total += r.n ?? 0
    }
  }
  return [...byBucket.values()]
}

/** The flow a status event is (alias `ev`), or NULL: the same rule for the live count and the periods' rows. */
const FLOW_KIND_SQL = `CASE
           WHEN ev.detail->>'to' = 'fixed' THEN 'fixed'
           WHEN ev.detail->>'to' = 'open' AND ev.detail->>'from' <> 'excluded' THEN 'reopened'
           WHEN ev.detail->>'from' = 'open' AND ev.detail->>'reason' = 'decided' THEN 'decided' END`

const FLOW_KINDS = ['new', 'fixed', 'reopened', 'decided'] as const
type FlowKind = (typeof FLOW_KINDS)[number]

/** Rows of counts by bucket: what a window's live part and its rolled-up periods both give (the periods' columns). */
type BucketCounts<K extends string> = { bucket: string } & Record<K, number>

/** The flows of [start, end) from the issues and their timeline, by bucket. */
const liveFlows = async (
  db: Queryable,
  ws: string,
  f: QueueFilter,
  interval: InsightInterval,
  start: Date,
  end: Date,
): Promise<BucketCounts<FlowKind>[]> => {
  const q = queueWhere(ws, f)
  const s = q.p(start)
  const e = q.p(end)
  const { rows } = await db.query<{ bucket: string; kind: FlowKind; n: number }>(
    `SELECT date_trunc('${interval}', i.detected_at AT TIME ZONE 'UTC')::date::text AS bucket, 'new' AS kind, count(*)::int AS n
       FROM issues i WHERE ${q.where} AND i.detected_at >= ${s} AND i.detected_at < ${e} GROUP BY 1
     UNION ALL
     SELECT date_trunc('${interval}', ev.at AT TIME ZONE 'UTC')::date::text, k.kind, count(*)::int
       FROM issue_events ev CROSS JOIN LATERAL (SELECT ${FLOW_KIND_SQL} AS kind) k
      WHERE ev.workspace_id = $1 AND ev.type = 'status' AND ev.at >= ${s} AND ev.at < ${e} AND k.kind IS NOT NULL
        ${ofIssue(q)}
      GROUP BY 1, 2`,
    q.params,
  )
  return rows.map((r) => ({ bucket: r.bucket, new: 0, fixed: 0, reopened: 0, decided: 0, [r.kind]: r.n }))
}

/** The sums of the period rows [from, to) by bucket, over the snapshots' filters. */
const periodSums = async <K extends string>(
  db: Queryable,
  ws: string,
  f: QueueFilter,
  interval: InsightInterval,
  range: { from: string; to: string },
  columns: readonly K[],
): Promise<BucketCounts<K>[]> => {
  const params: unknown[] = [ws, range.from, range.to]
  const p = (v: unknown) => {
    params.push(v)
    return `$${params.length}`
  }
  const { rows } = await db.query<BucketCounts<K>>(
    `SELECT date_trunc('${interval}', s.period)::date::text AS bucket, ${columns.map((c) => `sum(s.${c})::int AS ${c}`).join(', ')}
       FROM insight_flows s WHERE s.workspace_id = $1 AND s.period >= $2::date AND s.period < $3::date${snapshotWhere(f, p)}
      GROUP BY 1`,
    params,
  )
  return rows
}

/**
 * How a window is read where flows are rolled up (ADR 0011, "Update, 2026-12-03: long windows"): the whole periods
 * it holds that are rolled up, [from, to) as period starts, and the instants around them counted from the issues.
 * Days, and any filter but the snapshots' (team, application, source, priority), count everything from the issues.
 */
const splitWindow = async (db: Queryable, ws: string, f: QueueFilter, w: InsightWindow) => {
  const { start, end } = bounds(w)
  const rolledTo =
    w.interval === 'day' || unsupportedFilters('open-by-priority', f).length ? null : await flowsRolledTo(db, ws)
  const a = w.from === periodOf(w.from) ? w.from : nextPeriod(w.from)
  const b = rolledTo === null ? a : minDay(rolledTo, periodOf(addDays(w.to, 1)))
  if (a >= b) return { periods: null, live: [{ start, end }] }
  const live: { start: Date; end: Date }[] = []
  if (w.from < a) live.push({ start, end: dayStart(a) })
  if (dayStart(b) < end) live.push({ start: dayStart(b), end })
  return { periods: { from: a, to: b }, live }
}

/**
 * Counts of a window by bucket (`splitWindow`): the rolled-up periods' columns summed, and the same counts of the
 * rest from the issues (`live`, for one range of instants), added up per bucket. Every bucket of the window is there.
 */
const countsByBucket = async <K extends string>(
  db: Queryable,
  ws: string,
  f: QueueFilter,
  w: InsightWindow,
  columns: readonly K[],
  live: (range: { start: Date; end: Date }) => Promise<BucketCounts<K>[]>,
): Promise<Map<string, BucketCounts<K>>> => {
  const split = await splitWindow(db, ws, f, w)
  const parts = split.live.map(live)
  if (split.periods) parts.push(periodSums(db, ws, f, w.interval, split.periods, columns))
  const zero = () => Object.fromEntries(columns.map((c) => [c, 0])) as Record<K, number>
  const out = new Map<string, BucketCounts<K>>(bucketsOf(w).map((b) => [b, { bucket: b, ...zero() }]))
  for (const rows of await Promise.all(parts))
    for (const r of rows) {
      const pt = out.get(r.bucket)
      if (pt) for (const c of columns) (pt as Record<K, number>)[c] += r[c]
    }
  return out
}

/** New versus fixed: the rolled-up periods the window holds, and the rest from the issues and their timeline. */
const newVsFixed = async (
  db: Queryable,
  ws: string,
  f: QueueFilter,
  w: InsightWindow,
  _c: InsightContext,
): Promise<FlowPoint[]> => [
  ...(await countsByBucket(db, ws, f, w, FLOW_KINDS, (r) => liveFlows(db, ws, f, w.interval, r.start, r.end))).values(),
]

/**
 * The condition on an event's issue (alias `ev`) when the filter has one: without it the events are counted from the
 * index issue_events_status alone; with it the planner chooses between probing each event's issue and reading the
 * matching issues' events.
 */
const ofIssue = (q: ReturnType<typeof queueWhere>) =>
  q.filtered ? `AND EXISTS (SELECT 1 FROM issues i WHERE i.id = ev.issue_id AND ${q.where})` : ''

/** Days from detection to the verified fix of the issues fixed in the window (alias `i`; the condition's params). */
const fixedInWindow = (q: ReturnType<typeof queueWhere>, w: InsightWindow) => {
  const { start, end } = bounds(w)
  return `${q.where} AND i.status = 'fixed' AND i.fixed_at >= ${q.p(start)} AND i.fixed_at < ${q.p(end)}`
}
// date_part gives a double (extract gives numeric, whose sort took most of a long window's time to fix)
const FIX_DAYS = `greatest(date_part('epoch', i.fixed_at - i.detected_at), 0) / 86400`

const timeToFix = async (db: Queryable, ws: string, f: QueueFilter, w: InsightWindow): Promise<TimeToFixRow[]> => {
  const q = queueWhere(ws, f)
  const cond = fixedInWindow(q, w)
  // both percentiles from one sort per group; the team's name joined to the groups, not to every fix
  const pct = `count(*)::int AS n, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY x.days) AS pct`
  const { rows } = await db.query<{
    grp: TimeToFixRow['group']
    key: string
    label: string
    n: number
    pct: (number | null)[] | null
  }>(
    `WITH x AS MATERIALIZED (SELECT i.priority_rank AS rank, i.owner_team_id AS team, ${FIX_DAYS} AS days
                               FROM issues i WHERE ${cond}),
     g AS (SELECT 'all' AS grp, NULL::smallint AS rank, NULL::uuid AS team, ${pct} FROM x
           UNION ALL SELECT 'priority', x.rank, NULL, ${pct} FROM x GROUP BY x.rank
           UNION ALL SELECT 'team', NULL, x.team, ${pct} FROM x GROUP BY x.team)
     SELECT g.grp, CASE g.grp WHEN 'all' THEN '' WHEN 'priority' THEN g.rank::text ELSE COALESCE(g.team::text, 'none') END AS key,
            CASE g.grp WHEN 'all' THEN 'All' WHEN 'priority' THEN '' ELSE COALESCE(t.name, 'No team') END AS label, g.n, g.pct
       FROM g LEFT JOIN teams t ON t.id = g.team`,
    q.params,
  )
  const rank = (r: { grp: string; key: string; label: string }) =>
    r.grp === 'all' ? -1 : r.grp === 'priority' ? PRIORITIES.indexOf(r.key as Priority) : 10
  return (
    rows
      // the index holds the rank: the priority's name from it, as the queue names levels
      .map((r) => {
        if (r.grp !== 'priority') return r
        const name = severityFromRank(Number(r.key))
        return { ...r, key: name, label: name }
      })
      .sort((a, b) =>
        a.grp !== b.grp
          ? ['all', 'priority', 'team'].indexOf(a.grp) - ['all', 'priority', 'team'].indexOf(b.grp)
          : rank(a) - rank(b) || a.label.localeCompare(b.label),
      )
      .map((r) => ({
        group: r.grp,
        key: r.key,
        label: r.label,
        fixed: r.n,
        medianDays: round1(r.pct?.[0]),
        p90Days: round1(r.pct?.[1]),
      }))
  )
}

/**
 * Open issues past due at `now`, and due within the next 7 days: counted as the queue counts its totals (exact when
 * the planner expects at most EXACT_COUNT_LIMIT and a bounded count confirms it, otherwise the planner's estimate,
 * flagged), so a backlog of 300,000 breached issues costs no scan of 300,000 index entries, and the number the
 * dashboard shows is the one the queue shows behind its link.
 */
const dueCounts = async (db: Queryable, ws: string, f: QueueFilter, now: Date) => {
  const [breached, soon] = await Promise.all(
    (['breached', 'due_soon'] as const).map((state) =>
      countIssues(db, ws, { ...f, sla: { states: [state], now, dueSoonDays: 7 } }),
    ),
  )
  return { breached: breached!, soon: soon! }
}

const SLA_COLUMNS = ['fixed_due', 'fixed_within'] as const
type SlaColumn = (typeof SLA_COLUMNS)[number]

/** The fixes of [start, end) that had a due date, and of them those by it, by bucket, from the issues. */
const liveFixes = async (
  db: Queryable,
  ws: string,
  f: QueueFilter,
  interval: InsightInterval,
  start: Date,
  end: Date,
): Promise<BucketCounts<SlaColumn>[]> => {
  const q = queueWhere(ws, f)
  const { rows } = await db.query<BucketCounts<SlaColumn>>(
    `SELECT date_trunc('${interval}', i.fixed_at AT TIME ZONE 'UTC')::date::text AS bucket, count(*)::int AS fixed_due,
            count(*) FILTER (WHERE i.fixed_at <= i.sla_due_at)::int AS fixed_within
       FROM issues i WHERE ${q.where} AND i.status = 'fixed' AND i.fixed_at >= ${q.p(start)} AND i.fixed_at < ${q.p(end)}
        AND i.sla_due_at IS NOT NULL GROUP BY 1`,
    q.params,
  )
  return rows
}

const sla = async (db: Queryable, ws: string, f: QueueFilter, w: InsightWindow, c: InsightContext) => {
  const fixes = await countsByBucket(db, ws, f, w, SLA_COLUMNS, (r) => liveFixes(db, ws, f, w.interval, r.start, r.end))
  const breached = await levels(db, ws, f, w, { by: null, slaState: 'breached' })
  const byBucket = new Map<string, SlaPoint>()
  for (const r of fixes.values())
    byBucket.set(r.bucket, {
      bucket: r.bucket,
      fixed: r.fixed_due,
      fixedWithinSla: r.fixed_within,
      withinSlaShare: share(r.fixed_within, r.fixed_due),
      breached: null,
    })
  for (const r of breached) {
    const pt = byBucket.get(r.bucket)
    if (pt) pt.breached = r.n ?? 0
  }
  const series = [...byBucket.values()]
  const now = await dueCounts(db, ws, f, c.now)
  const fixed = series.reduce((a, x) => a + x.fixed, 0)
  const fixedWithinSla = series.reduce((a, x) => a + x.fixedWithinSla, 0)
  return {
    series,
    summary: {
      breached: now.breached.total,
      breachedIsEstimate: now.breached.estimate,
      dueIn7Days: now.soon.total,
      dueIn7DaysIsEstimate: now.soon.estimate,
      fixed,
      fixedWithinSla,
    },
  }
}

const decisions = async (db: Queryable, ws: string, f: QueueFilter, w: InsightWindow): Promise<DecisionCountRow[]> => {
  const { start, end } = bounds(w)
  const q = queueWhere(ws, f)
  const s = q.p(start)
  const e = q.p(end)
  const { rows } = await db.query<{ grp: DecisionCountRow['group']; key: string; n: number }>(
    `SELECT 'accepted_by_expiry' AS grp, to_char(d.expires_at AT TIME ZONE 'UTC', 'YYYY-MM') AS key, count(*)::int AS n
       FROM issues i JOIN decisions d ON d.id = i.decision_id
      WHERE ${q.where} AND i.status = 'accepted' AND d.expires_at IS NOT NULL GROUP BY 2
     UNION ALL
     SELECT 'false_positive_by_source', s.kind, count(DISTINCT i.id)::int
       FROM issues i JOIN decisions d ON d.id = i.decision_id JOIN issue_sources s ON s.issue_id = i.id
      WHERE ${q.where} AND i.status = 'false_positive' AND d.created_at >= ${s} AND d.created_at < ${e}
      GROUP BY 2`,
    q.params,
  )
  return rows
    .map((r) => ({ group: r.grp, key: r.key, count: r.n }))
    .sort((a, b) =>
      a.group !== b.group
        ? a.group.localeCompare(b.group)
        : a.group === 'accepted_by_expiry'
          ? a.key.localeCompare(b.key)
          : b.count - a.count || a.key.localeCompare(b.key),
    )
}

const scannerOverlap = async (db: Queryable, ws: string, f: QueueFilter, w: InsightWindow): Promise<OverlapRow[]> => {
  const { start, end } = bounds(w)
  const q = queueWhere(ws, f)
  const s = q.p(start)
  const e = q.p(end)
  const lead = (first: string, second: string) =>
    `percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', ${second} - ${first}) / 86400)
       FILTER (WHERE ${second} - ${first} >= interval '1 day')`
  const { rows } = await db.query<{
    ka: string
    kb: string
    visible: number
    only_a: number
    only_b: number
    both: number
    neither: number
    a_first: number
    b_first: number
    same_day: number
    a_lead: number | null
    b_lead: number | null
  }>(
    `WITH base AS (
       SELECT i.id, i.target_key, i.ecosystem, i.detected_at FROM issues i WHERE ${q.where} AND i.detected_at >= ${s} AND i.detected_at < ${e}),
     scope AS (SELECT DISTINCT target_key, ecosystem FROM base),
     cover AS (
       SELECT DISTINCT cv.target_key, cv.ecosystem, c.kind
         FROM scope sc JOIN issue_coverage cv
           ON cv.workspace_id = $1 AND cv.target_key = sc.target_key AND cv.ecosystem = sc.ecosystem
         JOIN connections c ON c.id = cv.connection_id AND c.deleted_at IS NULL),
     pairs AS (
       SELECT a.target_key, a.ecosystem, a.kind AS ka, b.kind AS kb
         FROM cover a JOIN cover b ON b.target_key = a.target_key AND b.ecosystem = a.ecosystem AND a.kind < b.kind),
     -- each source's own first detection (a source row without one, still being written or generated, counts from
     -- the issue's)
     found AS (
       SELECT base.id AS issue_id, s.kind, min(COALESCE(s.detected_at, base.detected_at)) AS at
         FROM base JOIN issue_sources s ON s.issue_id = base.id
         JOIN connections c ON c.id = s.connection_id AND c.deleted_at IS NULL GROUP BY 1, 2),
     x AS (
       SELECT p.ka, p.kb, fa.at AS ta, fb.at AS tb
         FROM base JOIN pairs p ON p.target_key = base.target_key AND p.ecosystem = base.ecosystem
         LEFT JOIN found fa ON fa.issue_id = base.id AND fa.kind = p.ka
         LEFT JOIN found fb ON fb.issue_id = base.id AND fb.kind = p.kb)
     SELECT ka, kb, count(*)::int AS visible,
            count(*) FILTER (WHERE ta IS NOT NULL AND tb IS NULL)::int AS only_a,
            count(*) FILTER (WHERE ta IS NULL AND tb IS NOT NULL)::int AS only_b,
            count(*) FILTER (WHERE ta IS NOT NULL AND tb IS NOT NULL)::int AS both,
            count(*) FILTER (WHERE ta IS NULL AND tb IS NULL)::int AS neither,
            count(*) FILTER (WHERE tb - ta >= interval '1 day')::int AS a_first,
            count(*) FILTER (WHERE ta - tb >= interval '1 day')::int AS b_first,
            count(*) FILTER (WHERE abs(date_part('epoch', tb - ta)) < 86400)::int AS same_day,
            ${lead('ta', 'tb')} AS a_lead, ${lead('tb', 'ta')} AS b_lead
       FROM x GROUP BY ka, kb ORDER BY ka, kb`,
    q.params,
  )
  return rows.map((r) => ({
    scannerA: r.ka,
    scannerB: r.kb,
    visible: r.visible,
    onlyA: r.only_a,
    onlyB: r.only_b,
    both: r.both,
    neither: r.neither,
    aFirst: r.a_first,
    bFirst: r.b_first,
    sameDay: r.same_day,
    aLeadDays: round1(r.a_lead),
    bLeadDays: round1(r.b_lead),
  }))
}

const headline = async (
  db: Queryable,
  ws: string,
  f: QueueFilter,
  w: InsightWindow,
  c: InsightContext,
): Promise<HeadlineRow> => {
  const q = queueWhere(ws, f)
  const fixedCond = fixedInWindow(q, w)
  const now = new Date(c.now)
  const weekStart = dayStart(bucketOf(isoDay(now), 'week'))
  const ws0 = q.p(weekStart)
  const { rows } = await db.query<{ crit: number; med: number | null; nfixed: number; week: number }>(
    `SELECT (SELECT count(*)::int FROM issues i
              WHERE ${q.where} AND i.status = 'open' AND i.priority_rank = ${severityRank('critical')}) AS crit,
            f.med, f.nfixed,
            (SELECT count(*)::int FROM issue_events ev
              WHERE ev.workspace_id = $1 AND ev.type = 'status' AND ev.detail->>'to' = 'fixed' AND ev.at >= ${ws0}
                ${ofIssue(q)}) AS week
       FROM (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ${FIX_DAYS}) AS med, count(*)::int AS nfixed
               FROM issues i WHERE ${fixedCond}) f`,
    q.params,
  )
  const r = rows[0]!
  const due = await dueCounts(db, ws, f, c.now)
  return {
    openCritical: r.crit,
    breached: due.breached.total,
    breachedIsEstimate: due.breached.estimate,
    dueIn7Days: due.soon.total,
    dueIn7DaysIsEstimate: due.soon.estimate,
    medianDaysToFix: round1(r.med),
    fixedInWindow: r.nfixed,
    fixedThisWeek: r.week,
  }
}

/** Computes one measure. The window must have passed `checkWindow`, the filter `unsupportedFilters`. */
export const computeInsight = async (
  db: Queryable,
  workspaceId: string,
  measure: InsightMeasure,
  filter: QueueFilter,
  w: InsightWindow,
  c: InsightContext,
): Promise<InsightResult> => {
  // the search terms of free text looked up once, for every query of the measure
  const f = await withSearchTerms(db, workspaceId, filter)
  switch (measure) {
    case 'headline':
      return { measure, series: [await headline(db, workspaceId, f, w, c)] }
    case 'open-by-priority':
      return { measure, series: await openByPriority(db, workspaceId, f, w) }
    case 'new-vs-fixed':
      return { measure, series: await newVsFixed(db, workspaceId, f, w, c) }
    case 'time-to-fix':
      return { measure, series: await timeToFix(db, workspaceId, f, w) }
    case 'sla':
      return { measure, ...(await sla(db, workspaceId, f, w, c)) }
    case 'decisions':
      return { measure, series: await decisions(db, workspaceId, f, w) }
    case 'scanner-overlap':
      return { measure, series: await scannerOverlap(db, workspaceId, f, w) }
  }
}
