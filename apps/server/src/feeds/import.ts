import { createReadStream, existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { FEEDS } from '@vulnsync/connectors/feeds/index.ts'
import type { FeedName, Logger } from '@vulnsync/core'
import { migrate, openDb } from '@vulnsync/db'
import type { AppConfig } from '../config.ts'
import { type LoadResult, loadFeed } from './refresh.ts'

/**
 * `vulnsync feeds import kev|epss <file>`: loads a feed from a file (an air-gapped copy, a mirror's download) straight
 * into the database, with the same reading, judging and recompute as a download. An embedded database is opened only
 * when no running vulnsync holds it.
 */
export const importFeedFile = async (
  cfg: AppConfig,
  logger: Logger,
  name: FeedName,
  file: string,
  o: { force?: boolean } = {},
): Promise<LoadResult> => {
  const path = resolve(file)
  if (!existsSync(path) || !statSync(path).isFile()) throw new Error(`no such file: ${path}`)
  const pgdata = join(cfg.dataDir, 'pgdata')
  if (!cfg.databaseUrl && existsSync(join(pgdata, 'postmaster.pid')))
    throw new Error(
      `the embedded database ${pgdata} is open in a running vulnsync: stop it, import, then start it again (or use DATABASE_URL with PostgreSQL, which several processes share)`,
    )
  const db = await openDb({ databaseUrl: cfg.databaseUrl, dataDir: cfg.databaseUrl ? undefined : pgdata })
  try {
    await migrate(db)
    return await loadFeed(
      { db, logger, now: () => new Date(), config: cfg },
      name,
      { label: `file ${path}`, open: async () => createReadStream(path) },
      o,
    )
  } finally {
    await db.close()
  }
}

/** The CLI's one-line report of a load. */
export const describeLoad = (name: FeedName, r: LoadResult): string => {
  const n = (x: number) => x.toLocaleString('en')
  if (r.error) return `${FEEDS[name].title}: refused ${r.source}: ${r.error.message} (${r.error.code})`
  const skipped = r.skipped
    ? `, ${n(r.skipped)} skipped (${r.skippedExamples[0] ?? ''}${r.skipped > 1 ? ' …' : ''})`
    : ''
  return `${FEEDS[name].title}: loaded ${n(r.entries ?? 0)} entries from ${r.source}${skipped}; ${n(r.changedCves)} CVEs changed, ${n(r.issuesExamined)} issues recomputed, ${n(r.priorityChanged)} changed priority`
}
