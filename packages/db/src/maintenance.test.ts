import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from './driver.ts'
import { VACUUMED_AFTER_SYNC, vacuumAfterSync } from './maintenance.ts'
import { createTestDb } from './testing.ts'

const WS = '00000000-0000-4000-8000-000000000001'

// the server calls it on PGlite only (PostgreSQL has autovacuum)
describe('vacuum after a sync on PGlite', () => {
  let db: Db
  beforeAll(async () => {
    db = await createTestDb('pglite')
  })
  afterAll(() => db?.close())

  it('marks the pages of the tables read index-only all-visible, so those reads skip the table', async () => {
    await db.query(`INSERT INTO workspaces (id, name) VALUES ($1, 'vacuum')`, [WS])
    await db.query(
      `INSERT INTO issues (workspace_id, target_key, package_key, cve, target_kind, target_name, package_name, ecosystem,
         severity, severity_rank, priority, priority_rank, status, detected_at, first_seen_at, last_seen_at)
       SELECT $1, 'repo:' || g, 'pkg:npm/p', 'CVE-2026-' || g, 'repository', 'r' || g, 'p', 'npm', 'high', 3, 'high', 3,
              'open', now(), now(), now()
         FROM generate_series(1, 3000) g`,
      [WS],
    )
    const visible = async () =>
      (
        await db.query<{ pages: number; visible: number }>(
          `SELECT relpages AS pages, relallvisible AS visible FROM pg_class WHERE oid = 'issues'::regclass`,
        )
      ).rows[0]!
    expect((await visible()).visible).toBe(0)
    expect(await vacuumAfterSync(db)).toEqual(VACUUMED_AFTER_SYNC)
    const after = await visible()
    expect(after.pages).toBeGreaterThan(1)
    expect(after.visible).toBe(after.pages)
  })
})
