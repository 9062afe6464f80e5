import {
  mergedPercentiles,
  mergeSummaries,
  SUMMARY_POINTS,
  severityFromRank,
  severityRank,
  summaryFractions,
  type ValueSummary,
} from '@vulnsync/core'
import type { Db, Queryable } from './driver.ts'
import { InputError } from './errors.ts'
import { countIssues, type QueueFilter, queueWhere, ranksOf, sqlParams, withSearchTerms } from './queue-store.ts'

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
/** The earlier and the later of two days (YYYY-MM-DD strings compare as the days do). */
const minDay = (a: string, b: string) => (a < b ? a : b)
const maxDay = (a: string, b: string) => (a > b ? a : b)

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
  return maxDay(week, month)
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
  return minDay(nextWeek, nextMonth)
}
/** The month (its first day) of a timestamp, in SQL. */
const MONTH_SQL = (col: string) => `date_trunc('month', ${col} AT TIME ZONE 'UTC')::date`
/** The day of a timestamp, in SQL. */
const DAY_SQL = (col: string) => `(${col} AT TIME ZONE 'UTC')::date`
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
export const unsupportedFilters = (measure: InsightMeasure, f: QueueFilter): string[] =>
  SNAPSHOT_MEASURES.includes(measure) ? filtersBeyond(f, SNAPSHOT_FILTER_KEYS) : []

/** The keys of the filters set in `f` that are not among `keys`. */
const filtersBeyond = (f: QueueFilter, keys: readonly string[]): string[] =>
  Object.entries(f)
    .filter(([k, v]) => v !== undefined && v !== false && !keys.includes(k))
    .map(([k]) => k)

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
 * scanner overlap reads), or every connection's of the workspace, and fills in the own first detection of every
 * source row of the workspace without one (`issue_sources.detected_at`: the earliest detection of the row's
 * connection's occurrences of the issue). The ingest writes source rows without it, and a recompute of an issue writes
 * the rows of all its sources again, so a sync of one connection empties other connections' rows too: each sync's
 * end fills them all, from the occurrences, rather than leaving them until each connection's own next sync. Called
 * at the end of each sync of the connection; set-based, one pass over the workspace's issue sources.
 */
export const refreshCoverage = (db: Db, workspaceId: string, connectionId?: string): Promise<number> =>
  db.transaction(async (tx) => {
    const which = connectionId ? 'AND s.connection_id = $2' : ''
    const params = connectionId ? [workspaceId, connectionId] : [workspaceId]
    // the source rows still without one, of any connection, then their occurrences, in one join the planner can hash
    // (a first import leaves every row of the connection to do); the days of their issues' scanner overlap change:
    // the issue's detection now, and the one before (the earliest of its other sources; the statement sees the rows
    // as they were)
    await tx.query(
      `WITH todo AS (SELECT s.issue_id, s.connection_id FROM issue_sources s JOIN issues i ON i.id = s.issue_id
                      WHERE i.workspace_id = $1 AND s.detected_at IS NULL),
       filled AS (
         UPDATE issue_sources s SET detected_at = x.at
           FROM (SELECT o.issue_id, o.connection_id, min(o.detected_at) AS at
                   FROM todo JOIN occurrences o ON o.issue_id = todo.issue_id AND o.connection_id = todo.connection_id
                  GROUP BY 1, 2) x
          WHERE s.issue_id = x.issue_id AND s.connection_id = x.connection_id RETURNING s.issue_id),
       touched AS (SELECT DISTINCT issue_id FROM filled)
       INSERT INTO insight_overlap_dirty (workspace_id, day)
       SELECT DISTINCT $1::uuid, d FROM (
         SELECT ${DAY_SQL('i.detected_at')} AS d FROM touched t JOIN issues i ON i.id = t.issue_id
         UNION ALL
         SELECT ${DAY_SQL('min(s.detected_at)')} FROM touched t JOIN issue_sources s ON s.issue_id = t.issue_id
          GROUP BY t.issue_id) y
        WHERE d IS NOT NULL`,
      [workspaceId],
    )
    // what the connection covers, changed where it differs; the days of the issues on the targets whose coverage
    // changed are counted again (what two scanners could both see there changed)
    const r = await tx.query<{ n: number }>(
      `WITH want AS (SELECT DISTINCT s.connection_id, i.target_key, i.ecosystem
                       FROM issue_sources s JOIN issues i ON i.id = s.issue_id WHERE i.workspace_id = $1 ${which}),
       -- by EXCEPT, a hashed or sorted set operation in any plan: as NOT EXISTS against the CTE, statistics from when
       -- the table was empty (migration 0012 analyses it empty; PGlite has no autovacuum) made it a nested loop that
       -- compared every covered target with every wanted one (50 s for 22,970 targets, from the second sync on)
       gone AS (DELETE FROM issue_coverage c
                 USING (SELECT x.connection_id, x.target_key, x.ecosystem FROM issue_coverage x
                         WHERE x.workspace_id = $1 ${which.replace('s.', 'x.')}
                        EXCEPT SELECT w.connection_id, w.target_key, w.ecosystem FROM want w) g
                WHERE c.workspace_id = $1 AND c.connection_id = g.connection_id AND c.target_key = g.target_key
                  AND c.ecosystem = g.ecosystem
                RETURNING c.target_key, c.ecosystem),
       added AS (INSERT INTO issue_coverage (workspace_id, connection_id, target_key, ecosystem)
                 SELECT $1, w.connection_id, w.target_key, w.ecosystem FROM want w
                  WHERE NOT EXISTS (SELECT 1 FROM issue_coverage c WHERE c.workspace_id = $1
                                       AND c.connection_id = w.connection_id AND c.target_key = w.target_key
                                       AND c.ecosystem = w.ecosystem)
                 RETURNING target_key, ecosystem),
       changed AS (SELECT target_key, ecosystem FROM gone UNION SELECT target_key, ecosystem FROM added),
       dirty AS (INSERT INTO insight_overlap_dirty (workspace_id, day)
                 SELECT DISTINCT $1::uuid, ${DAY_SQL('i.detected_at')} FROM changed c
                   JOIN issues i ON i.workspace_id = $1 AND i.target_key = c.target_key AND i.ecosystem = c.ecosystem
                 RETURNING 1)
       SELECT (SELECT count(*)::int FROM want) AS n`,
      params,
    )
    return r.rows[0]!.n
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
       decided, fixed_due, fixed_within, false_positive)
     SELECT $1, x.period, x.priority, x.owner_team_id, x.application_id, x.sources, sum(x.n)::int,
            count(*) FILTER (WHERE x.kind = 'fixed')::int, count(*) FILTER (WHERE x.kind = 'reopened')::int,
            count(*) FILTER (WHERE x.kind = 'decided')::int, count(*) FILTER (WHERE x.kind = 'sla')::int,
            count(*) FILTER (WHERE x.kind = 'sla' AND x.within)::int, count(*) FILTER (WHERE x.fp)::int
       FROM (SELECT ${periodSql('i.detected_at')} AS period, i.priority, i.owner_team_id, i.application_id,
                    ${SOURCES_SQL} AS sources, 1 AS n, NULL AS kind, NULL::boolean AS within, NULL::boolean AS fp
               FROM issues i WHERE i.workspace_id = $1 AND i.detected_at >= ${start} AND i.detected_at < ${end}
             UNION ALL
             SELECT ${periodSql('ev.at')}, i.priority, i.owner_team_id, i.application_id, ${SOURCES_SQL}, 0, k.kind, NULL,
                    ${FP_EVENT_SQL}
               FROM issue_events ev CROSS JOIN LATERAL (SELECT ${FLOW_KIND_SQL} AS kind) k
               JOIN issues i ON i.id = ev.issue_id
              WHERE ev.workspace_id = $1 AND ev.type = 'status' AND ev.at >= ${start} AND ev.at < ${end}
                AND k.kind IS NOT NULL
             UNION ALL
             SELECT ${periodSql('i.fixed_at')}, i.priority, i.owner_team_id, i.application_id, ${SOURCES_SQL}, 0, 'sla',
                    i.fixed_at <= i.sla_due_at, NULL
               FROM issues i WHERE i.workspace_id = $1 AND i.status = 'fixed' AND i.sla_due_at IS NOT NULL
                AND i.fixed_at >= ${start} AND i.fixed_at < ${end}) x
      GROUP BY x.period, x.priority, x.owner_team_id, x.application_id, x.sources`,
    [workspaceId, from, to],
  )
  return r.rowCount
}

/**
 * The rollups of time to fix (by month) and scanner overlap (by day) of a roll of the flows from `from` to `target`
 * (`before`: where the last roll ended, null the first time): the months it completes, and the fix times of the
 * months of the periods counted again at the end of a sync (`fixMonths`); the days it rolls, and the overlap of the
 * days marked since the last roll (`insight_overlap_dirty`: those of the issues whose sources were found, or whose
 * targets' coverage changed, at the end of a sync; every day after a disconnection), with the complete months merged
 * from their days.
 */
const rollRollups = async (
  tx: Queryable,
  ws: string,
  o: { from: string; before: string | null; target: string; fixMonths: Set<string> },
) => {
  const done = monthOf(o.target) // months before it are complete
  const fresh = o.before === null ? monthOf(o.from) : minDay(monthOf(o.before), done)
  if (fresh < done) await writeFixMonths(tx, ws, fresh, done)
  for (const m of [...o.fixMonths].sort()) if (m < fresh) await writeFixMonths(tx, ws, m, nextMonthOf(m))
  const dirty = (
    await tx.query<{ d: string | null }>(
      `DELETE FROM insight_overlap_dirty WHERE workspace_id = $1 RETURNING day::text AS d`,
      [ws],
    )
  ).rows
  const first = dirty.some((d) => d.d === null) ? '1970-01-01' : (o.before ?? o.from)
  const months = new Set<string>()
  if (first < o.target) for (const m of await writeOverlapDays(tx, ws, { from: first, to: o.target })) months.add(m)
  const days = [...new Set(dirty.map((d) => d.d).filter((d): d is string => d !== null && d < first))].sort()
  if (days.length) for (const m of await writeOverlapDays(tx, ws, { days })) months.add(m)
  // the complete months the days fall in, merged from their days once
  await mergeOverlapMonths(tx, ws, [...months].filter((m) => m < done).sort())
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
      await tx.query<{ to: string; at: Date; dirty: boolean }>(
        `SELECT rolled_to::text AS to, rolled_at AS at,
                EXISTS (SELECT 1 FROM insight_overlap_dirty d WHERE d.workspace_id = $1) AS dirty
           FROM insight_flow_state WHERE workspace_id = $1`,
        [workspaceId],
      )
    ).rows[0]
    if (state && state.to >= target && !o.late && !state.dirty) return { rolled: 0, recounted: 0 }
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
    // the months' fix times the late periods fall in are counted again with them
    const fixMonths = new Set<string>()
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
      for (const { p } of late.rows) {
        await writeFlows(tx, workspaceId, p, nextPeriod(p))
        fixMonths.add(monthOf(p))
      }
      recounted = late.rows.length
    }
    await rollRollups(tx, workspaceId, { from: from!, before: state?.to ?? null, target, fixMonths })
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
            from: maxDay(from, oldest),
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
  const { params, p } = sqlParams(workspaceId, w.from, w.to)
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
/** A status event that marks its issue a false positive (alias `ev`): the decisions measure's count by scanner. */
const FP_EVENT_SQL = `(ev.detail->>'to' = 'false_positive')`
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
  const { params, p } = sqlParams(ws, range.from, range.to)
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
  const rolledTo =
    w.interval === 'day' || unsupportedFilters('open-by-priority', f).length ? null : await flowsRolledTo(db, ws)
  const split = splitBy(w, rolledTo, periodOf, nextPeriod)
  return { periods: split.units, live: split.live }
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

// ---------------------------------------------------------------------------------------------------- rollups

/**
 * Time to fix and scanner overlap over long windows (ADR 0011, "Update, 2026-12-03: time to fix and overlap rolled
 * up"): the complete months (fix times) or days (overlap) a window holds up to where the flows are rolled are read from
 * rows rolled up with them (`insight_fix_times`, `insight_overlap`), the rest of the window from the issues in the
 * same shape, and the two merged. Percentiles come from summaries (`ValueSummary`): exact up to SUMMARY_POINTS values
 * a row, within about one percent of rank above.
 */

/** A summary of a value over a group's rows (those `where` keeps), in SQL: the values in order, or percentiles. */
const summarySql = (v: string, where?: string) => {
  const f = where ? ` FILTER (WHERE ${where})` : ''
  return `CASE WHEN count(*)${f} <= ${SUMMARY_POINTS} THEN COALESCE(array_agg(${v} ORDER BY ${v})${f}, '{}')
               ELSE percentile_cont(ARRAY[${summaryFractions().join(', ')}]::float8[]) WITHIN GROUP (ORDER BY ${v})${f} END`
}

/** The grains of a rollup: by priority ('p'), by team ('t'), by both ('pt'); `x.rank`, `x.team` grouped. */
const GRAINS_SQL = 'GROUPING SETS ((x.rank), (x.team), (x.rank, x.team))'
const GRAIN_SQL = `CASE GROUPING(x.rank, x.team) WHEN 0 THEN 'pt' WHEN 1 THEN 'p' ELSE 't' END`

/** A row of a rollup, or the same of a window's issues; rank and team are null where the grain has none. */
interface GrainRow {
  grain: 'p' | 't' | 'pt'
  rank: number | null
  team: string | null
}

/**
 * Which rows answer a filter of priority and team: `whole` the totals and the levels (by priority; by priority and
 * team for one team), `byTeam` the split by team. Rows from a window's issues (the filter applied) pass the same tests.
 */
const grainPick = (f: QueueFilter) => {
  const ranks = f.priority?.length ? ranksOf(f.priority) : null
  const team = f.team
  const fits = (r: GrainRow) =>
    (ranks === null || (r.rank !== null && ranks.includes(r.rank))) && (team === undefined || r.team === team)
  const wholeGrain = team === undefined ? 'p' : 'pt'
  const teamGrain = team === undefined && ranks === null ? 't' : 'pt'
  return {
    whole: (r: GrainRow) => r.grain === wholeGrain && fits(r),
    byTeam: (r: GrainRow) => r.grain === teamGrain && (teamGrain === 't' || fits(r)),
    /** the rolled-up rows to read (alias `r`) */
    where: (p: (v: unknown) => string, withTeams: boolean) => {
      const grains = withTeams ? [...new Set([wholeGrain, teamGrain])] : [wholeGrain]
      const conds = [`r.grain = ANY(${p(grains)}::text[])`]
      if (ranks !== null) conds.push(`(r.grain = 't' OR r.priority_rank = ANY(${p(ranks)}::smallint[]))`)
      if (team !== undefined) conds.push(team === null ? 'r.team_id IS NULL' : `r.team_id = ${p(team)}::uuid`)
      return conds.join(' AND ')
    },
  }
}

/** The filters the rollups answer (any other reads the whole window from the issues). */
const servedByRollups = (f: QueueFilter) => filtersBeyond(f, ['priority', 'team']).length === 0

/**
 * How a window is read where something is rolled up by unit (a flows period, a month): the whole units it holds that
 * are rolled up, [from, to) as unit starts, and the instants around them to read from the issues (all of the window
 * when `rolledTo` is null).
 */
const splitBy = (
  w: InsightWindow,
  rolledTo: string | null,
  unitOf: (day: string) => string,
  next: (day: string) => string,
) => {
  const { start, end } = bounds(w)
  const a = w.from === unitOf(w.from) ? w.from : next(w.from)
  const b = rolledTo === null ? a : minDay(unitOf(rolledTo), unitOf(addDays(w.to, 1)))
  if (a >= b) return { units: null, live: [{ start, end }] }
  const live: { start: Date; end: Date }[] = []
  if (w.from < a) live.push({ start, end: dayStart(a) })
  if (dayStart(b) < end) live.push({ start: dayStart(b), end })
  return { units: { from: a, to: b }, live }
}
const monthOf = (day: string) => bucketOf(day, 'month')

/**
 * The rows of a month measure for a window: the rolled-up months it holds (`table`, `columns` as the live SQL names
 * them), and the rest from the issues (`liveSql` for a range of instants).
 */
const rolledRows = async <T extends GrainRow>(
  db: Queryable,
  ws: string,
  f: QueueFilter,
  w: InsightWindow,
  o: {
    table: 'insight_fix_times' | 'insight_overlap'
    columns: string
    withTeams: boolean
    liveSql: (q: ReturnType<typeof queueWhere>, start: Date, end: Date) => string
  },
): Promise<T[]> => {
  // complete months from their rows; the rest of the window, for overlap, from the day rows up to where the flows
  // are rolled; what is left from the issues
  const rolledTo = servedByRollups(f) ? await flowsRolledTo(db, ws) : null
  const months = splitBy(w, rolledTo, monthOf, nextMonthOf)
  const reads: { span: 'month' | 'day'; from: string; to: string }[] = months.units
    ? [{ span: 'month', ...months.units }]
    : []
  const live: { start: Date; end: Date }[] = []
  for (const r of months.live) {
    if (o.table === 'insight_fix_times') {
      live.push(r)
      continue
    }
    const part = { from: isoDay(r.start), to: addDays(isoDay(r.end), -1), interval: 'day' as const }
    const days = splitBy(
      part,
      rolledTo,
      (d) => d,
      (d) => addDays(d, 1),
    )
    if (days.units) reads.push({ span: 'day', ...days.units })
    live.push(...days.live)
  }
  const parts = live.map(async (r) => {
    const q = queueWhere(ws, f)
    return (await db.query<T>(o.liveSql(q, r.start, r.end), q.params)).rows
  })
  for (const read of reads) {
    const { params, p } = sqlParams(ws, read.from, read.to)
    const range =
      o.table === 'insight_fix_times'
        ? 'r.month >= $2::date AND r.month < $3::date'
        : `r.span = '${read.span}' AND r.day >= $2::date AND r.day < $3::date`
    parts.push(
      db
        .query<T>(
          `SELECT r.grain, r.priority_rank AS rank, r.team_id AS team, ${o.columns} FROM ${o.table} r
            WHERE r.workspace_id = $1 AND ${range} AND ${grainPick(f).where(p, o.withTeams)}`,
          params,
        )
        .then((r) => r.rows),
    )
  }
  return (await Promise.all(parts)).flat()
}

/** Rows grouped by a key, in the order the keys first appear (Map.groupBy, which Node 20 lacks). */
const groupBy = <T, K>(rows: T[], key: (r: T) => K): Map<K, T[]> => {
  const out = new Map<K, T[]>()
  for (const r of rows) {
    const k = key(r)
    const g = out.get(k)
    if (g) g.push(r)
    else out.set(k, [r])
  }
  return out
}

/** Rewrites the fix-time rows of the months [from, to) (month starts) from the issues. */
const writeFixMonths = async (tx: Queryable, ws: string, from: string, to: string) => {
  const q = queueWhere(ws, {})
  await tx.query(`DELETE FROM insight_fix_times WHERE workspace_id = $1 AND month >= $2::date AND month < $3::date`, [
    ws,
    from,
    to,
  ])
  await tx.query(
    `INSERT INTO insight_fix_times (workspace_id, month, grain, priority_rank, team_id, n, days)
     SELECT $1, r.month, r.grain, r.rank, r.team, r.n, r.days FROM (${fixTimesSql(q, dayStart(from), dayStart(to), true)}) r`,
    q.params,
  )
}

/**
 * Rewrites the day rows of scanner overlap from the issues: of [from, to), or of the days listed (in one statement:
 * the issues of the range between the first and the last, those of the listed days counted). Returns the months
 * whose day rows changed.
 */
const writeOverlapDays = async (tx: Queryable, ws: string, o: { from: string; to: string } | { days: string[] }) => {
  const [from, to] = 'days' in o ? [o.days[0]!, addDays(o.days.at(-1)!, 1)] : [o.from, o.to]
  const onDays = 'days' in o ? o.days : undefined
  const q = queueWhere(ws, {})
  await tx.query(
    `DELETE FROM insight_overlap WHERE workspace_id = $1 AND span = 'day' AND day >= $2::date AND day < $3::date
       ${onDays ? 'AND day = ANY($4::date[])' : ''}`,
    onDays ? [ws, from, to, onDays] : [ws, from, to],
  )
  await tx.query(
    `INSERT INTO insight_overlap (workspace_id, span, day, grain, priority_rank, team_id, kind_a, kind_b, ${OVERLAP_COLUMNS})
     SELECT $1, 'day', r.day, r.grain, r.rank, r.team, r.ka, r.kb, ${OVERLAP_COLUMNS.replace(/(\w+)/g, 'r.$1')}
       FROM (${overlapSql(q, dayStart(from), dayStart(to), true, onDays)}) r`,
    q.params,
  )
  if (onDays) return onDays.map(monthOf)
  // a range: its months' rows go (a month left without day rows has none), those with day rows are merged again
  await tx.query(
    `DELETE FROM insight_overlap WHERE workspace_id = $1 AND span = 'month' AND day >= $2::date AND day < $3::date`,
    [ws, monthOf(from), to],
  )
  const months = await tx.query<{ m: string }>(
    `SELECT DISTINCT date_trunc('month', day)::date::text AS m FROM insight_overlap
      WHERE workspace_id = $1 AND span = 'day' AND day >= $2::date AND day < $3::date`,
    [ws, from, to],
  )
  return months.rows.map((r) => r.m)
}

/** Rewrites the month rows of scanner overlap of the months listed (month starts) from their day rows. */
const mergeOverlapMonths = async (tx: Queryable, ws: string, months: string[]) => {
  for (const m of months) {
    await tx.query(`DELETE FROM insight_overlap WHERE workspace_id = $1 AND span = 'month' AND day = $2::date`, [ws, m])
    const days = await tx.query<OverlapRollRow>(
      `SELECT r.grain, r.priority_rank AS rank, r.team_id AS team, ${OVERLAP_READ} FROM insight_overlap r
        WHERE r.workspace_id = $1 AND r.span = 'day' AND r.day >= $2::date AND r.day < $3::date`,
      [ws, m, nextMonthOf(m)],
    )
    const rows = [...groupBy(days.rows, (r) => `${r.grain} ${r.rank} ${r.team} ${r.ka} ${r.kb}`).values()].map(
      (rs) => ({
        ...rs[0]!,
        ...sumOverlap(rs),
      }),
    )
    await tx.query(
      `INSERT INTO insight_overlap (workspace_id, span, day, grain, priority_rank, team_id, kind_a, kind_b, ${OVERLAP_COLUMNS})
       SELECT $1, 'month', $2::date, r.grain, r.rank, r.team, r.ka, r.kb, ${OVERLAP_COLUMNS.replace(/(\w+)/g, 'r.$1')}
         FROM json_to_recordset($3::json) AS r(grain text, rank smallint, team uuid, ka text, kb text,
              ${[...OVERLAP_COUNTS].map((c) => `${c} int`).join(', ')}, a_lead float8[], b_lead float8[])`,
      [ws, m, JSON.stringify(rows)],
    )
  }
}

// ---------------------------------------------------------------------------------------------------- time to fix

/** Issues verified fixed in [start, end) of a filter (alias `i`). */
const fixedBetween = (q: ReturnType<typeof queueWhere>, start: Date, end: Date) =>
  `${q.where} AND i.status = 'fixed' AND i.fixed_at >= ${q.p(start)} AND i.fixed_at < ${q.p(end)}`
// date_part gives a double (extract gives numeric, whose sort took most of a long window's time to fix)
const FIX_DAYS = `greatest(date_part('epoch', i.fixed_at - i.detected_at), 0) / 86400`

interface FixRow extends GrainRow {
  n: number
  days: number[]
}

/** Days to fix of the fixes in [start, end), summarised by the grains (and by the month of the fix: the rollup). */
const fixTimesSql = (q: ReturnType<typeof queueWhere>, start: Date, end: Date, byMonth: boolean) =>
  `SELECT ${byMonth ? 'x.month, ' : ''}${GRAIN_SQL} AS grain, x.rank, x.team, count(*)::int AS n, ${summarySql('x.days')} AS days
     FROM (SELECT ${MONTH_SQL('i.fixed_at')} AS month, i.priority_rank AS rank,
                  i.owner_team_id AS team, ${FIX_DAYS} AS days
             FROM issues i WHERE ${fixedBetween(q, start, end)}) x
    GROUP BY ${byMonth ? 'x.month, ' : ''}${GRAINS_SQL}`

const fixTimeRows = (db: Queryable, ws: string, f: QueueFilter, w: InsightWindow, withTeams: boolean) =>
  rolledRows<FixRow>(db, ws, f, w, {
    table: 'insight_fix_times',
    columns: 'r.n, r.days',
    withTeams,
    liveSql: (q, start, end) => fixTimesSql(q, start, end, false),
  })

/** The median and 90th percentile of summaries, rounded as the measures show days. */
const fixStats = (parts: ValueSummary[]) => {
  const [med, p90] = mergedPercentiles(parts, [0.5, 0.9])
  return { fixed: parts.reduce((a, s) => a + s.n, 0), medianDays: round1(med), p90Days: round1(p90) }
}
const asSummary = (r: FixRow): ValueSummary => ({ n: r.n, values: r.days })

const timeToFix = async (db: Queryable, ws: string, f: QueueFilter, w: InsightWindow): Promise<TimeToFixRow[]> => {
  const rows = await fixTimeRows(db, ws, f, w, true)
  const pick = grainPick(f)
  const whole = rows.filter(pick.whole)
  const byRank = groupBy(whole, (r) => r.rank!)
  const byTeam = groupBy(rows.filter(pick.byTeam), (r) => r.team)
  const teamIds = [...byTeam.keys()].filter((t): t is string => t !== null)
  const names = new Map(
    teamIds.length
      ? (
          await db.query<{ id: string; name: string }>(`SELECT id, name FROM teams WHERE id = ANY($1::uuid[])`, [
            teamIds,
          ])
        ).rows.map((t) => [t.id, t.name])
      : [],
  )
  const teams: TimeToFixRow[] = [...byTeam].map(([team, rs]) => ({
    group: 'team',
    key: team ?? 'none',
    label: team === null ? 'No team' : (names.get(team) ?? team),
    ...fixStats(rs.map(asSummary)),
  }))
  return [
    { group: 'all', key: '', label: 'All', ...fixStats(whole.map(asSummary)) },
    // the ranks are what the rows hold: the priority's name from it, highest first, as the queue names levels
    ...[...byRank]
      .sort(([a], [b]) => b - a)
      .map(([rank, rs]): TimeToFixRow => {
        const name = severityFromRank(rank)
        return { group: 'priority', key: name, label: name, ...fixStats(rs.map(asSummary)) }
      }),
    ...teams.sort((a, b) => a.label.localeCompare(b.label)),
  ]
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

/**
 * False positives by scanner: the issues marked false positive in [start, end) (their status events, an issue marked
 * twice counts twice), once for each scanner kind that found it; from the issues and their timeline.
 */
const liveFalsePositives = async (db: Queryable, ws: string, f: QueueFilter, start: Date, end: Date) => {
  const q = queueWhere(ws, f)
  const { rows } = await db.query<{ key: string; n: number }>(
    `SELECT k.kind AS key, count(*)::int AS n
       FROM issue_events ev
       CROSS JOIN LATERAL (SELECT DISTINCT s.kind FROM issue_sources s WHERE s.issue_id = ev.issue_id) k
      WHERE ev.workspace_id = $1 AND ev.type = 'status' AND ${FP_EVENT_SQL}
        AND ev.at >= ${q.p(start)} AND ev.at < ${q.p(end)} ${ofIssue(q)}
      GROUP BY 1`,
    q.params,
  )
  return rows
}

const decisions = async (db: Queryable, ws: string, f: QueueFilter, w: InsightWindow): Promise<DecisionCountRow[]> => {
  const q = queueWhere(ws, f)
  // false positives: the rolled-up periods the window holds (each row's count once per kind in its sources), the
  // rest from the timeline
  const split = await splitWindow(db, ws, f, w)
  const parts = split.live.map((r) => liveFalsePositives(db, ws, f, r.start, r.end))
  if (split.periods) {
    const { params, p } = sqlParams(ws, split.periods.from, split.periods.to)
    parts.push(
      db
        .query<{ key: string; n: number }>(
          `SELECT k AS key, sum(s.false_positive)::int AS n FROM insight_flows s CROSS JOIN LATERAL unnest(s.sources) k
            WHERE s.workspace_id = $1 AND s.period >= $2::date AND s.period < $3::date AND s.false_positive > 0
                  ${snapshotWhere(f, p)}
            GROUP BY 1`,
          params,
        )
        .then((r) => r.rows),
    )
  }
  const [accepted, ...fps] = await Promise.all([
    db.query<{ key: string; n: number }>(
      `SELECT to_char(d.expires_at AT TIME ZONE 'UTC', 'YYYY-MM') AS key, count(*)::int AS n
         FROM issues i JOIN decisions d ON d.id = i.decision_id
        WHERE ${q.where} AND i.status = 'accepted' AND d.expires_at IS NOT NULL GROUP BY 1`,
      q.params,
    ),
    ...parts,
  ])
  const byKind = new Map<string, number>()
  for (const r of fps.flat()) byKind.set(r.key, (byKind.get(r.key) ?? 0) + r.n)
  return [
    ...accepted.rows
      .map((r): DecisionCountRow => ({ group: 'accepted_by_expiry', key: r.key, count: r.n }))
      .sort((a, b) => a.key.localeCompare(b.key)),
    ...[...byKind]
      .filter(([, n]) => n > 0)
      .map(([key, count]): DecisionCountRow => ({ group: 'false_positive_by_source', key, count }))
      .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key)),
  ]
}

// ---------------------------------------------------------------------------------------------------- scanner overlap

interface OverlapRollRow extends GrainRow {
  ka: string
  kb: string
  visible: number
  only_a: number
  only_b: number
  found_both: number
  neither: number
  a_first: number
  b_first: number
  same_day: number
  a_lead: number[]
  b_lead: number[]
}

/**
 * Scanner overlap of the issues detected in [start, end), per pair of scanner kinds that both cover the issue's
 * target and ecosystem, by the grains (and by the month of detection: the rollup). Each source counts from its own
 * first detection (a source row without one, still being written or generated, from the issue's); the days ahead of
 * the first finder (at least a day) are summarised.
 */
const overlapSql = (
  q: ReturnType<typeof queueWhere>,
  start: Date,
  end: Date,
  byDay: boolean,
  /** only the issues detected on these days (of [start, end)) */
  onDays?: string[],
) => {
  const lead = (first: string, second: string) =>
    summarySql(`date_part('epoch', ${second} - ${first}) / 86400`, `${second} - ${first} >= interval '1 day'`)
  // every step per issue, through an index (the kinds covering its target and ecosystem, its sources' detections):
  // joins of the window's targets with the coverage were planned on estimates of a few rows where there were
  // hundreds, and a month took 0.5 s in nested loops
  const first = (kind: string) =>
    `(SELECT min(COALESCE(s.detected_at, b.detected_at)) FROM issue_sources s
       WHERE s.issue_id = b.id AND s.kind = ${kind} AND s.connection_id IN (SELECT l.id FROM live l))`
  return `WITH base AS MATERIALIZED (
       SELECT i.id, i.target_key, i.ecosystem, i.detected_at, i.priority_rank AS rank, i.owner_team_id AS team
         FROM issues i WHERE ${q.where} AND i.detected_at >= ${q.p(start)} AND i.detected_at < ${q.p(end)}
          ${onDays ? `AND ${DAY_SQL('i.detected_at')} = ANY(${q.p(onDays)}::date[])` : ''}),
     live AS MATERIALIZED (SELECT c.id, c.kind FROM connections c WHERE c.workspace_id = $1 AND c.deleted_at IS NULL),
     -- materialised: the outer aggregates name ta and tb a dozen times, each would run its subquery again
     x AS MATERIALIZED (
       SELECT ${DAY_SQL('b.detected_at')} AS day, b.rank, b.team, pr.ka, pr.kb, ${first('pr.ka')} AS ta,
              ${first('pr.kb')} AS tb
         FROM base b
         CROSS JOIN LATERAL (
           SELECT array_agg(DISTINCT l.kind) AS kinds FROM issue_coverage cv JOIN live l ON l.id = cv.connection_id
            WHERE cv.workspace_id = $1 AND cv.target_key = b.target_key AND cv.ecosystem = b.ecosystem) k
         CROSS JOIN LATERAL (SELECT ka, kb FROM unnest(k.kinds) ka, unnest(k.kinds) kb WHERE ka < kb) pr)
     SELECT ${byDay ? 'x.day, ' : ''}${GRAIN_SQL} AS grain, x.rank, x.team, x.ka, x.kb, count(*)::int AS visible,
            count(*) FILTER (WHERE x.ta IS NOT NULL AND x.tb IS NULL)::int AS only_a,
            count(*) FILTER (WHERE x.ta IS NULL AND x.tb IS NOT NULL)::int AS only_b,
            count(*) FILTER (WHERE x.ta IS NOT NULL AND x.tb IS NOT NULL)::int AS found_both,
            count(*) FILTER (WHERE x.ta IS NULL AND x.tb IS NULL)::int AS neither,
            count(*) FILTER (WHERE x.tb - x.ta >= interval '1 day')::int AS a_first,
            count(*) FILTER (WHERE x.ta - x.tb >= interval '1 day')::int AS b_first,
            count(*) FILTER (WHERE abs(date_part('epoch', x.tb - x.ta)) < 86400)::int AS same_day,
            ${lead('x.ta', 'x.tb')} AS a_lead, ${lead('x.tb', 'x.ta')} AS b_lead
       FROM x GROUP BY ${byDay ? 'x.day, ' : ''}x.ka, x.kb, GROUPING SETS ((x.rank), (x.rank, x.team))`
}

const OVERLAP_COUNTS = [
  'visible',
  'only_a',
  'only_b',
  'found_both',
  'neither',
  'a_first',
  'b_first',
  'same_day',
] as const
/** The rollup's columns after the keys, and as the rows are read (alias `r`). */
const OVERLAP_COLUMNS = `${OVERLAP_COUNTS.join(', ')}, a_lead, b_lead`
const OVERLAP_READ = `r.kind_a AS ka, r.kind_b AS kb, ${OVERLAP_COUNTS.map((c) => `r.${c}`).join(', ')}, r.a_lead, r.b_lead`

/** The counts of rows of one pair added up. */
const sumCounts = (rs: OverlapRollRow[]) =>
  Object.fromEntries(OVERLAP_COUNTS.map((c) => [c, rs.reduce((a, r) => a + r[c], 0)])) as Record<
    (typeof OVERLAP_COUNTS)[number],
    number
  >

/** Rows of one pair as one (a month's row from its days): the counts added up, the days ahead merged. */
const sumOverlap = (rs: OverlapRollRow[]) => {
  const out = sumCounts(rs)
  const lead = (n: 'a_first' | 'b_first', v: 'a_lead' | 'b_lead') =>
    mergeSummaries(rs.map((r) => ({ n: r[n], values: r[v] })))
  return { ...out, a_lead: lead('a_first', 'a_lead').values, b_lead: lead('b_first', 'b_lead').values }
}

const scannerOverlap = async (db: Queryable, ws: string, f: QueueFilter, w: InsightWindow): Promise<OverlapRow[]> => {
  const rows = await rolledRows<OverlapRollRow>(db, ws, f, w, {
    table: 'insight_overlap',
    columns: OVERLAP_READ,
    withTeams: false,
    liveSql: (q, start, end) => overlapSql(q, start, end, false),
  })
  const pairs = groupBy(rows.filter(grainPick(f).whole), (r) => `${r.ka}\n${r.kb}`)
  return [...pairs.values()]
    .map((rs) => {
      const c = sumCounts(rs)
      const median = (n: 'a_first' | 'b_first', lead: 'a_lead' | 'b_lead') =>
        round1(
          mergedPercentiles(
            rs.map((r) => ({ n: r[n], values: r[lead] })),
            [0.5],
          )[0],
        )
      return {
        scannerA: rs[0]!.ka,
        scannerB: rs[0]!.kb,
        visible: c.visible,
        onlyA: c.only_a,
        onlyB: c.only_b,
        both: c.found_both,
        neither: c.neither,
        aFirst: c.a_first,
        bFirst: c.b_first,
        sameDay: c.same_day,
        aLeadDays: median('a_first', 'a_lead'),
        bLeadDays: median('b_first', 'b_lead'),
      }
    })
    .sort((a, b) => a.scannerA.localeCompare(b.scannerA) || a.scannerB.localeCompare(b.scannerB))
}

const headline = async (
  db: Queryable,
  ws: string,
  f: QueueFilter,
  w: InsightWindow,
  c: InsightContext,
): Promise<HeadlineRow> => {
  const q = queueWhere(ws, f)
  const now = new Date(c.now)
  const weekStart = dayStart(bucketOf(isoDay(now), 'week'))
  const ws0 = q.p(weekStart)
  const [counts, fixes, due] = await Promise.all([
    db.query<{ crit: number; week: number }>(
      `SELECT (SELECT count(*)::int FROM issues i
                WHERE ${q.where} AND i.status = 'open' AND i.priority_rank = ${severityRank('critical')}) AS crit,
              (SELECT count(*)::int FROM issue_events ev
                WHERE ev.workspace_id = $1 AND ev.type = 'status' AND ev.detail->>'to' = 'fixed' AND ev.at >= ${ws0}
                  ${ofIssue(q)}) AS week`,
      q.params,
    ),
    fixTimeRows(db, ws, f, w, false),
    dueCounts(db, ws, f, c.now),
  ])
  const r = counts.rows[0]!
  const fixed = fixStats(fixes.filter(grainPick(f).whole).map(asSummary))
  return {
    openCritical: r.crit,
    breached: due.breached.total,
    breachedIsEstimate: due.breached.estimate,
    dueIn7Days: due.soon.total,
    dueIn7DaysIsEstimate: due.soon.estimate,
    medianDaysToFix: fixed.medianDays,
    fixedInWindow: fixed.fixed,
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
