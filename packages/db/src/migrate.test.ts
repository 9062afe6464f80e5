import { afterAll, describe, expect, it } from 'vitest'
import type { Db } from './driver.ts'
import { loadMigrations, migrate } from './migrate.ts'
import { createTestDb, DRIVERS } from './testing.ts'

describe.each(DRIVERS)('migrations on %s', (driver) => {
  let db: Db
  afterAll(() => db?.close())

  it('creates every table the platform needs and records the version', async () => {
    db = await createTestDb(driver)
    const { rows } = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    )
    const tables = rows.map((r) => r.table_name)
    for (const t of [
      'workspaces',
      'users',
      'api_tokens',
      'connections',
      'repositories',
      'sync_runs',
      'occurrences',
      'issues',
      'issue_sources',
      'repo_mappings',
      'audit_events',
    ])
      expect(tables).toContain(t)
    const v = await db.query<{ version: number }>('SELECT max(version) AS version FROM schema_migrations')
    expect(v.rows[0]!.version).toBe(loadMigrations().at(-1)!.version)
  })

  it('is a no-op the second time', async () => {
    const again = await migrate(db)
    expect(again.applied).toEqual([])
  })

  it('refuses a database newer than the code', async () => {
    await db.query(`INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')`)
    await expect(migrate(db)).rejects.toThrow(/newer than this vulnsync/)
    await db.query('DELETE FROM schema_migrations WHERE version = 9999')
  })
})
