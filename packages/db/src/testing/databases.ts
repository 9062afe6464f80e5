import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'
import { createPgliteDb, createPostgresDb, type Db } from '../driver.ts'
import { migrate } from '../migrate.ts'
import { TEMPLATE_DB } from './global-setup.ts'
import { poll } from './poll.ts'

export const DRIVERS = ['pglite', 'postgres'] as const
export type DriverName = (typeof DRIVERS)[number]

/** The URL of a fresh, migrated PostgreSQL database cloned from the run's template. */
export const createTestDatabaseUrl = async (): Promise<string> => {
  const base = inject('pgUrl')
  const name = `t_${randomBytes(6).toString('hex')}`
  const admin = await createPostgresDb(base, { max: 1 })
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`)
  } finally {
    await admin.close()
  }
  const url = new URL(base)
  url.pathname = `/${name}`
  return url.toString()
}

/** A fresh migrated database on the given driver: PGlite in memory, or a new database on the shared server. */
export const createTestDb = async (driver: DriverName): Promise<Db> => {
  if (driver === 'pglite') {
    const db = await createPgliteDb()
    await migrate(db)
    return db
  }
  return createPostgresDb(await createTestDatabaseUrl(), { max: 5 })
}

/**
 * Turns autovacuum off for every table of this test database and waits until no other session in it holds a
 * snapshot. For tests that assert where PostgreSQL writes a row version: a page is pruned of dead versions only when
 * no snapshot in its database may still see them, and an auto-analyze started by the rows an earlier test wrote holds
 * one for as long as it runs. A no-op on PGlite, which has no other session.
 */
export const quietTestDb = async (db: Db): Promise<void> => {
  if (db.driver === 'pglite') return
  const { rows } = await db.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
  )
  for (const { name } of rows) await db.query(`ALTER TABLE ${name} SET (autovacuum_enabled = false)`)
  await poll(
    'no other session holding a snapshot in the test database',
    async () => {
      const { rows: busy } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL`,
      )
      return busy[0]!.n === 0 ? true : undefined
    },
    60_000,
  )
}
