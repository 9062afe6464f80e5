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
 * What autovacuum does on PostgreSQL, for PGlite, which has none: called after each sync run there. Pages nobody
 * changed since the last VACUUM are skipped, so after the first it costs what the sync changed. Returns the tables
 * vacuumed.
 */
export const vacuumAfterSync = async (db: Queryable): Promise<string[]> => {
  // the search terms analysed too: refreshQueueStatistics watches only the issues' tables and the coverage
  for (const table of VACUUMED_AFTER_SYNC)
    await db.exec(table === 'issue_search_terms' ? `VACUUM (ANALYZE) ${table}` : `VACUUM ${table}`)
  return VACUUMED_AFTER_SYNC
}
