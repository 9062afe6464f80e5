import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from './driver.ts'
import {
  countIssues,
  listIssues,
  QUEUE_SORTS,
  type QueueFilter,
  refreshQueueStatistics,
  summarizeIssues,
} from './queue-store.ts'
import { createTestDb, DRIVERS } from './testing.ts'

const LEVELS = ['info', 'low', 'medium', 'high', 'critical']
const N = 600

/**
 * The queue's read side on both drivers, over issues written straight into the table: key-set paging in every sort
 * (the row-comparison cursor) returns every issue once and in order; the total is exact when the answer is small and
 * an estimate, flagged, above the exact limit; the summary's estimate adds up to its total; the filters that moved to
 * the indexes of migration 0011 (ranks, trigrams, the target name) match what they matched before.
 */
describe.each(DRIVERS)('the queue store on %s', (driver) => {
  let db: Db
  let ws = ''
  beforeAll(async () => {
    db = await createTestDb(driver)
    ws = (await db.query<{ id: string }>(`INSERT INTO workspaces (name) VALUES ('w') RETURNING id`)).rows[0]!.id
    // ranks and dates repeat, so every sort has ties that only the id breaks
    await db.query(
      `INSERT INTO issues (workspace_id, target_key, package_key, cve, repository_id, target_kind, target_name,
                           package_name, ecosystem, aliases, severity, severity_rank, priority, priority_rank, status,
                           detected_at, first_seen_at, last_seen_at, sla_due_at)
       SELECT $1, 'repo:' || (g % 7), 'pkg:npm/' || (CASE WHEN g % 10 = 0 THEN 'left-pad' ELSE 'lib-' || (g % 13) END),
              'CVE-2024-' || (1000 + g), g % 7, 'repository', 'Org/Repo-' || (g % 7),
              CASE WHEN g % 10 = 0 THEN 'left-pad' ELSE 'lib-' || (g % 13) END, 'npm',
              CASE WHEN g % 50 = 0 THEN '["GHSA-abcd-efgh-ijkl"]'::jsonb ELSE '[]'::jsonb END,
              ($2::text[])[1 + g % 5], g % 5, ($2::text[])[1 + (g * 3) % 5], (g * 3) % 5,
              CASE WHEN g % 4 = 0 THEN 'fixed' ELSE 'open' END,
              timestamptz '2024-01-01' + make_interval(days => g % 11), timestamptz '2024-01-01',
              timestamptz '2024-02-01' + make_interval(days => g % 3),
              CASE WHEN g % 3 = 0 THEN NULL ELSE timestamptz '2024-03-01' + make_interval(days => g % 5) END
         FROM generate_series(1, ${N}) g`,
      [ws, LEVELS],
    )
    await db.exec('ANALYZE issues')
  })
  afterAll(() => db?.close())

  const all = async (f: QueueFilter, sort: (typeof QUEUE_SORTS)[number], limit: number) => {
    const ids: number[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await listIssues(db, ws, f, { sort, limit, cursor }, { total: false })
      ids.push(...page.rows.map((r) => r.id))
      cursor = page.nextCursor ?? undefined
      pages++
    } while (cursor && pages < 100)
    return ids
  }

  it('pages through every sort in order, each issue once', async () => {
    const expected: Record<string, string> = {
      priority: 'priority_rank DESC, severity_rank DESC, id DESC',
      severity: 'severity_rank DESC, priority_rank DESC, id DESC',
      detectedAt: 'detected_at, id',
      '-detectedAt': 'detected_at DESC, id DESC',
      cve: 'cve, id',
      lastSeenAt: 'last_seen_at DESC, id DESC',
      dueAt: `COALESCE(sla_due_at, '9999-12-31T00:00:00Z'::timestamptz), id`,
    }
    for (const sort of QUEUE_SORTS) {
      const want = (
        await db.query<{ id: number }>(
          `SELECT id FROM issues WHERE workspace_id = $1 AND status = 'open' ORDER BY ${expected[sort]}`,
          [ws],
        )
      ).rows.map((r) => r.id)
      expect(await all({ status: ['open'] }, sort, 37), sort).toEqual(want)
    }
  })

  it('reads the first page of a small answer with its count in one pass: the same rows, in order, as without', async () => {
    for (const sort of QUEUE_SORTS)
      for (const f of [{}, { status: ['open'] }, { q: 'lib-1' }, { repository: 'org/repo-2' }] as QueueFilter[]) {
        const withTotal = await listIssues(db, ws, f, { sort, limit: 25 })
        const without = await listIssues(db, ws, f, { sort, limit: 25 }, { total: false })
        expect(
          withTotal.rows.map((r) => r.id),
          `${sort} ${JSON.stringify(f)}`,
        ).toEqual(without.rows.map((r) => r.id))
        expect(withTotal.nextCursor).toEqual(without.nextCursor)
        expect(withTotal.rows[0]).toEqual(without.rows[0])
        expect(withTotal.totalIsEstimate).toBe(false)
        const n = (await all(f, sort, 500)).length
        expect(withTotal.total).toBe(n)
      }
  })

  it('gives an exact total for a small answer and an estimate, flagged, above the exact limit', async () => {
    const one = await listIssues(db, ws, { repository: 'org/repo-3' }, { sort: 'priority', limit: 500 })
    expect(one.nextCursor).toBeNull()
    expect(one).toMatchObject({ total: one.rows.length, totalIsEstimate: false })
    expect(one.rows.length).toBeGreaterThan(50)

    const paged = await listIssues(db, ws, {}, { sort: 'priority', limit: 50 })
    expect(paged).toMatchObject({ total: N, totalIsEstimate: false })
    const next = await listIssues(db, ws, {}, { sort: 'priority', limit: 50, cursor: paged.nextCursor! })
    expect(next).toMatchObject({ total: N, totalIsEstimate: false })

    // with a limit below the match, the total is the planner's estimate: near the truth, never below what was seen
    const est = await listIssues(db, ws, {}, { sort: 'priority', limit: 50 }, { exactLimit: 100 })
    expect(est.totalIsEstimate).toBe(true)
    expect(est.total).toBeGreaterThan(N * 0.5)
    expect(est.total).toBeLessThan(N * 2)
    const few = await countIssues(db, ws, { severity: ['critical'] }, { exactLimit: 1000 })
    expect(few).toEqual({ total: N / 5, estimate: false })
    // a page that already holds more rows than the estimate: the total is at least those rows
    const seen = await countIssues(db, ws, { cve: 'CVE-2024-1001' }, { exactLimit: 0, atLeast: 7 })
    expect(seen).toEqual({ total: 7, estimate: true })
  })

  it('summarises exactly when small and as an estimate that adds up to its total when large', async () => {
    const exact = await summarizeIssues(db, ws, { status: ['fixed'] })
    expect(exact.estimate).toBe(false)
    expect(exact.total).toBe(N / 4)
    const truth = (
      await db.query<{ severity: string; n: number }>(
        `SELECT severity, count(*)::int AS n FROM issues WHERE status = 'fixed' GROUP BY severity`,
      )
    ).rows
    for (const t of truth) expect(exact.rows.find((r) => r.kind === 'severity' && r.level === t.severity)?.n).toBe(t.n)

    const est = await summarizeIssues(db, ws, {}, { exactLimit: 100 })
    // the sample of a table this small is the whole table: then the counts are exact after all
    const sum = (kind: string) => est.rows.filter((r) => r.kind === kind).reduce((a, r) => a + r.n, 0)
    expect(sum('severity')).toBe(est.total)
    expect(sum('priority')).toBe(est.total)
    if (!est.estimate) expect(est.total).toBe(N)
  })

  // PGlite only: it has no autovacuum, and on PostgreSQL autovacuum may analyse between the steps
  it.skipIf(driver === 'postgres')(
    'refreshes the statistics of the queue tables once they have grown by a tenth, not before',
    async () => {
      // both analysed by the migrations (issue_sources by 0014), and nothing grew since
      expect(await refreshQueueStatistics(db)).toEqual([])
      await db.query(
        `INSERT INTO issues (workspace_id, target_key, package_key, cve, target_kind, target_name, package_name, ecosystem,
                           severity, severity_rank, priority, priority_rank, status, detected_at, first_seen_at, last_seen_at)
       SELECT $1, 'image:grown', 'pkg:npm/grown', 'CVE-2025-' || (1000 + g), 'image', 'grown', 'grown', 'npm',
              'low', 1, 'low', 1, 'fixed', now(), now(), now()
         FROM generate_series(1, 40) g`,
        [ws],
      )
      expect(await refreshQueueStatistics(db)).toEqual([]) // 40 more of 600: not yet
      await db.query(
        `INSERT INTO issues (workspace_id, target_key, package_key, cve, target_kind, target_name, package_name, ecosystem,
                           severity, severity_rank, priority, priority_rank, status, detected_at, first_seen_at, last_seen_at)
       SELECT $1, 'image:grown', 'pkg:npm/grown', 'CVE-2026-' || (1000 + g), 'image', 'grown', 'grown', 'npm',
              'low', 1, 'low', 1, 'fixed', now(), now(), now()
         FROM generate_series(1, 2000) g`,
        [ws],
      )
      expect(await refreshQueueStatistics(db)).toEqual(['issues'])
      const { rows } = await db.query<{ n: number }>(
        `SELECT reltuples::int AS n FROM pg_class WHERE relname = 'issues'`,
      )
      expect(rows[0]!.n).toBe(N + 2040)
      await db.exec(`DELETE FROM issues WHERE target_key = 'image:grown'`)
      await db.exec('ANALYZE issues')
    },
  )

  it('keeps what the filters match: ranks, trigrams, target names, free text across fields', async () => {
    const ids = async (f: QueueFilter) => (await all(f, 'priority', 500)).sort((a, b) => a - b)
    const sql = async (where: string) =>
      (
        await db.query<{ id: number }>(`SELECT id FROM issues WHERE workspace_id = $1 AND ${where} ORDER BY id`, [ws])
      ).rows.map((r) => r.id)
    expect(await ids({ severity: ['critical', 'low'] })).toEqual(await sql(`severity IN ('critical', 'low')`))
    expect(await ids({ priority: ['high'] })).toEqual(await sql(`priority = 'high'`))
    expect(await ids({ severity: ['bogus'] })).toEqual([])
    expect(await ids({ package: 'LEFT-p' })).toEqual(await sql(`package_name = 'left-pad'`))
    expect(await ids({ package: 'pkg:npm/lib-3@1.0.0' })).toEqual(await sql(`package_key = 'pkg:npm/lib-3'`))
    expect(await ids({ repository: 'ORG/REPO-5' })).toEqual(await sql(`target_name = 'Org/Repo-5'`))
    expect(await ids({ q: 'ghsa-ABCD' })).toEqual(await sql(`aliases::text LIKE '%GHSA-abcd%'`))
    expect(await ids({ q: 'cve-2024-105' })).toEqual(await sql(`cve LIKE 'CVE-2024-105%'`))
    expect(await ids({ q: 'left_pad' })).toEqual([]) // `_` is a character, not a wildcard
    // the search text joins the fields with newlines: a text spanning two fields matches neither
    expect(await ids({ q: 'lib-3\nOrg' })).toEqual([])
    expect(await ids({ q: 'Repo-2\nlib' })).toEqual([])
    expect(await ids({ q: 'CVE-2024-1600' })).toEqual(await sql(`cve = 'CVE-2024-1600'`))
  })
})
