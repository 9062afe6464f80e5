import type { Queryable } from './driver.ts'

/**
 * The tables the queue and the dashboard read through index-only scans, in the order they are vacuumed. An
 * index-only scan skips the table only for pages the visibility map marks all-visible, and only VACUUM sets those
 * marks (and frees the room of rows a sync replaced). The search terms (migration 0015): their trigram index keeps
 * new terms in a pending list that every free-text search reads until VACUUM merges it into the index. And the two
 * tables every sync rewrites: occurrences (the insights read `occurrences_issue` index-only; an occurrence whose state
 * or issue changes leaves an index entry only VACUUM removes; migration 0018 keeps the last-seen marks in their page)
 * and the raw records a changed record replaces. Both cost little once the marks stay in place: after an unchanged
 * re-run of 100,000 findings on PGlite 96 ms and 1 ms, against about 4.5 s for the re-run (ADR 0014).
 */
export const VACUUMED_AFTER_SYNC = [
  'issues',
  'issue_sources',
  'issue_events',
  'insight_snapshots',
  'insight_flows',
  'issue_search_terms',
  'occurrences',
  'source_records',
]

/**
 * VACUUM of each table in turn (what autovacuum does on PostgreSQL, for PGlite, which has none). Pages nobody changed
 * since the last VACUUM are skipped, so after the first it costs what changed since. Returns the tables vacuumed.
 */
const vacuumTables = async (db: Queryable, tables: readonly string[]): Promise<string[]> => {
  // the search terms analysed too: refreshQueueStatistics watches only the issues' tables and the coverage
  for (const table of tables)
    await db.exec(table === 'issue_search_terms' ? `VACUUM (ANALYZE) ${table}` : `VACUUM ${table}`)
  return [...tables]
}

/** Called after each sync run on PGlite. */
export const vacuumAfterSync = (db: Queryable): Promise<string[]> => vacuumTables(db, VACUUMED_AFTER_SYNC)

/**
 * The tables a feed refresh changes: its entries, its staging (every row staged is deleted when the load ends),
 * the CVEs whose values changed, and the issues it recomputes with their events. On PGlite, which has no autovacuum,
 * nothing else makes the room of those rows free again: each daily EPSS file (250,000 scores) grew the database by
 * about 56 MB, for good (ADR 0016).
 */
export const VACUUMED_AFTER_FEED = {
  kev: ['kev_staging', 'kev_entries', 'feed_changes', 'issues', 'issue_events'],
  epss: ['epss_staging', 'epss_scores', 'feed_changes', 'issues', 'issue_events'],
} as const satisfies Record<'kev' | 'epss', readonly string[]>

/** Called after each feed load on PGlite. */
export const vacuumAfterFeed = (db: Queryable, feed: keyof typeof VACUUMED_AFTER_FEED): Promise<string[]> =>
  vacuumTables(db, VACUUMED_AFTER_FEED[feed])

export type MaintenanceTask = 'vacuum_database'

/**
 * Claims a periodic task when `every` has passed since it last ran (or it never did): true for the one caller that
 * gets it, which then runs it. Marked when claimed, so a task that fails waits for its next period like one that ran.
 */
export const claimMaintenance = async (
  db: Queryable,
  task: MaintenanceTask,
  o: { now: Date; everyMs: number },
): Promise<boolean> => {
  const { rows } = await db.query(
    `UPDATE maintenance_tasks SET last_at = $2
      WHERE task = $1 AND (last_at IS NULL OR last_at <= $2::timestamptz - make_interval(secs => $3::float8 / 1000))
      RETURNING task`,
    [task, o.now, o.everyMs],
  )
  return rows.length > 0
}

/** VACUUM of every table (PGlite's daily stand-in for autovacuum): 0.06–0.46 s at 100,000 issues. */
export const vacuumDatabase = async (db: Queryable): Promise<void> => {
  await db.exec('VACUUM')
}
