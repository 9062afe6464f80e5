import type { Logger } from '@vulnsync/core'
import { claimMaintenance, type Db, vacuumDatabase } from '@vulnsync/db'

export const DAY_MS = 86_400_000

/**
 * PGlite has no autovacuum. After each sync and each feed refresh the server vacuums the tables they changed
 * (`vacuumAfterSync`, `vacuumAfterFeed`); the rest (the job queue's rows, sessions, runs, outbound state) is vacuumed
 * here, by the scheduler's minute, once a day. True when this call ran it. On PostgreSQL, autovacuum does all of it.
 */
export const vacuumDaily = async (d: { db: Db; logger: Logger; now: () => Date }): Promise<boolean> => {
  if (d.db.driver !== 'pglite') return false
  if (!(await claimMaintenance(d.db, 'vacuum_database', { now: d.now(), everyMs: DAY_MS }))) return false
  const t0 = performance.now()
  try {
    await vacuumDatabase(d.db)
    d.logger.info({ ms: Math.round(performance.now() - t0) }, 'embedded database vacuumed (once a day)')
  } catch (err) {
    d.logger.warn({ err: (err as Error).message }, 'embedded database not vacuumed; tried again in a day')
  }
  return true
}
