import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from './driver.ts'
import { createPgliteDb } from './driver.ts'
import { VACUUMED_AFTER_SYNC, vacuumAfterSync } from './maintenance.ts'
import { loadMigrations, migrate } from './migrate.ts'
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

  it('cleans up after what a sync does to occurrences and raw records, so their pages are all-visible again', async () => {
    const conn = '00000000-0000-4000-8000-0000000000c1'
    await db.query(
      `INSERT INTO connections (id, workspace_id, kind, name, config, secrets_enc) VALUES ($1, $2, 'endor', 'e', '{}', '')`,
      [conn, WS],
    )
    await db.query(
      `INSERT INTO occurrences (workspace_id, connection_id, source_key, cve, package_purl, package_key, package_name,
         ecosystem, target, target_kind, target_name, match_key, match_display, severity, vendor_severity, detected_at,
         detected_at_source, content_hash, state, first_seen_at, last_seen_at, last_seen_run_id)
       SELECT $1, $2, 'k' || g, 'CVE-2026-' || g, 'pkg:npm/p', 'pkg:npm/p', 'p', 'npm', '{}', 'repository', 'r', 'm', 'm',
              'high', 'high', now(), 'vendor', 'h', 'present', now(), now(), gen_random_uuid()
         FROM generate_series(1, 2000) g`,
      [WS, conn],
    )
    await db.query(
      `INSERT INTO source_records (connection_id, source_key, raw) SELECT $1, 'k' || g, '{"v":1}' FROM generate_series(1, 2000) g`,
      [conn],
    )
    await vacuumAfterSync(db)
    const size = async () =>
      Number((await db.query<{ n: string }>(`SELECT pg_relation_size('occurrences') AS n`)).rows[0]!.n)
    const before = await size()
    // a sync: every occurrence marked seen, a tenth gone (a state change: not heap-only), a tenth of records changed
    await db.query(`UPDATE occurrences SET last_seen_at = now(), last_seen_run_id = gen_random_uuid()`)
    await db.query(`UPDATE occurrences SET state = 'absent', absent_since = now() WHERE id % 10 = 0`)
    await db.query(`UPDATE source_records SET raw = '{"v":2}', updated_at = now() WHERE source_key LIKE '%7'`)
    // the marks stayed in their pages (migration 0018)
    expect(await size()).toBe(before)
    await vacuumAfterSync(db)
    const { rows } = await db.query<{ table: string; pages: number; visible: number }>(
      `SELECT relname AS table, (pg_relation_size(oid) / current_setting('block_size')::int)::int AS pages,
              relallvisible AS visible
         FROM pg_class WHERE relname IN ('occurrences', 'source_records') ORDER BY relname`,
    )
    expect(rows.map((r) => r.table)).toEqual(['occurrences', 'source_records'])
    for (const r of rows) {
      expect(r.pages).toBeGreaterThan(1)
      expect(r.visible).toBe(r.pages)
    }
  })
})

describe('migration 0020 on a PGlite database that refreshed EPSS without a VACUUM', () => {
  it('gives back the room the replaced scores and the staged files left, keeping every score', async () => {
    const db = await createPgliteDb()
    try {
      await migrate(
        db,
        loadMigrations().filter((m) => m.version < 20),
      )
      await db.query(
        `INSERT INTO epss_scores (cve, score, percentile, scored_on)
         SELECT 'CVE-2024-' || g, g / 30000.0, g / 20000.0, '2026-12-01' FROM generate_series(1, 20000) g`,
      )
      // four days of refreshes that staged the file and moved every score, as the daily files do, with nothing to
      // vacuum after them
      for (let day = 2; day <= 5; day++) {
        await db.query(
          `INSERT INTO epss_staging (load_id, cve, score, percentile)
           SELECT gen_random_uuid(), 'CVE-2024-' || g, 0.1, 0.5 FROM generate_series(1, 20000) g`,
        )
        await db.query(`DELETE FROM epss_staging`)
        await db.query(`UPDATE epss_scores SET score = score * 0.99, scored_on = $1`, [`2026-12-0${day}`])
      }
      const size = async (relation = 'epss_scores') =>
        Number((await db.query<{ n: string }>(`SELECT pg_relation_size($1::regclass) AS n`, [relation])).rows[0]!.n)
      const stagingIndex = await size('epss_staging_load')
      const scores = async () =>
        (
          await db.query(
            `SELECT count(*)::int AS n, md5(string_agg(cve || score || percentile || scored_on, ',' ORDER BY cve)) AS digest
               FROM epss_scores`,
          )
        ).rows[0]
      const bloated = await size()
      const before = await scores()
      await migrate(db)
      expect(await scores()).toEqual(before)
      expect(await size()).toBeLessThan(bloated / 3)
      // the staging index held four days of entries; built again from the none left, it is a page or two
      expect(stagingIndex).toBeGreaterThan(2_000_000)
      expect(await size('epss_staging_load')).toBeLessThanOrEqual(16_384)
    } finally {
      await db.close()
    }
  })
})
