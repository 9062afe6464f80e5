import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'
import { createPgliteDb, createPostgresDb, type Db } from '../driver.ts'
import { migrate } from '../migrate.ts'
import { TEMPLATE_DB } from './global-setup.ts'

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
