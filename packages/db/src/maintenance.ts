import type { Queryable } from './driver.ts'

/**
 * The tables the queue and the dashboard read through index-only scans, in the order they are vacuumed. An
 * index-only scan skips the table only for pages the visibility map marks all-visible, and only VACUUM sets those
 * marks (and frees the room of rows a sync replaced). And the search terms (migration 0015): their trigram index
 * keeps new terms in a pending list that every free-text search reads until VACUUM merges it into the index.
 */
export const VACUUMED_AFTER_SYNC = [
  'issues',
  'issue_sources',
  'issue_events',
  'insight_snapshots',
  'insight_flows',
  'issue_search_terms',
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
