import { describe, expect, it } from 'vitest'
import { createPgliteDb } from './driver.ts'
import { loadMigrations, migrate } from './migrate.ts'

/** Migration 0015 on a database that already holds issues (PGlite, the migration's SQL is the same on both). */
describe('the search terms migration', () => {
  it('backfills the terms of the issues there are, once each, and the trigger adds those of issues inserted later', async () => {
    const db = await createPgliteDb()
    try {
      await migrate(
        db,
        loadMigrations().filter((m) => m.version < 15),
      )
      const ws = (await db.query<{ id: string }>(`INSERT INTO workspaces (name) VALUES ('w') RETURNING id`)).rows[0]!.id
      const insert = (from: number, to: number) =>
        db.query(
          `INSERT INTO issues (workspace_id, target_key, package_key, cve, target_kind, target_name, package_name,
                               ecosystem, aliases, severity, severity_rank, priority, priority_rank, status,
                               detected_at, first_seen_at, last_seen_at)
           SELECT $1, 'repo:' || (g % 2), 'pkg:npm/lib-' || (g % 3), 'CVE-2024-' || (1000 + g), 'repository',
                  'Org/Repo-' || (g % 2), 'lib-' || (g % 3), 'npm',
                  CASE WHEN g = 1 THEN '["GHSA-aaaa-bbbb-cccc", "PYSEC-1"]'::jsonb ELSE '[]'::jsonb END,
                  'low', 1, 'low', 1, 'open', now(), now(), now()
             FROM generate_series($2::int, $3::int) g`,
          [ws, from, to],
        )
      await insert(1, 6)
      await migrate(db)
      const terms = async () =>
        (
          await db.query<{ field: string; term: string }>(
            `SELECT field, term FROM issue_search_terms WHERE workspace_id = $1 ORDER BY field, term`,
            [ws],
          )
        ).rows.map((r) => `${r.field}:${r.term}`)
      expect(await terms()).toEqual([
        'alias:GHSA-aaaa-bbbb-cccc',
        'alias:PYSEC-1',
        ...[1001, 1002, 1003, 1004, 1005, 1006].map((n) => `cve:CVE-2024-${n}`),
        'package:lib-0',
        'package:lib-1',
        'package:lib-2',
        'target:Org/Repo-0',
        'target:Org/Repo-1',
      ])
      await insert(7, 8)
      expect(await terms()).toContain('cve:CVE-2024-1008')
      expect((await terms()).length).toBe(15)
    } finally {
      await db.close()
    }
  })
})
