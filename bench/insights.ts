/**
 * Insights benchmark (issue 17): N issues with two years of history, built in SQL (generate_series, no ingest), then
 * each measure of GET /api/v1/insights/{measure} timed as the route runs it (`computeInsight`): median and p95 of
 * several runs, for three windows (30 days by day, 90 days by week, two years by month), without filters and with a
 * team filter. Prints one line per measure and window.
 *
 *   npm run bench:insights                      # 1,000,000 issues on embedded PostgreSQL
 *   npm run bench:insights -- 100000 pglite
 *   BENCH_EXPLAIN=1 npm run bench:insights -- 100000 postgres   # EXPLAIN ANALYZE of every statement, once
 *   BENCH_STATISTICS=server npm run bench:insights -- 100000 pglite   # PGlite's statistics as the server leaves them
 *
 * The history: issues detected over 730 days; 55% verified fixed (a status event each, 1 to 200 days after
 * detection by priority), 3% accepted, 2% false positives (a decision each), 6% fixed once and reopened; three
 * scanner kinds with overlapping coverage (an occurrence per source with its own detection time); 20 teams, 60
 * applications over 2,000 targets; the daily snapshots of 730 days rebuilt by `backfillSnapshots` (timed too).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  backfillSnapshots,
  computeInsight,
  createPgliteDb,
  createPostgresDb,
  INSIGHT_MEASURES,
  type InsightWindow,
  isoDay,
  migrate,
  type Queryable,
  refreshCoverage,
  refreshQueueStatistics,
  rollFlows,
  takeSnapshot,
  vacuumAfterSync,
} from '@vulnsync/db'
import { startEmbeddedPostgres } from '@vulnsync/db/embedded-postgres'

const count = Number(process.argv[2] ?? 1_000_000)
const driver = process.argv[3] ?? 'postgres'
const runs = Number(process.env.BENCH_RUNS ?? 7)
const explain = process.env.BENCH_EXPLAIN === '1'
const TARGETS = 2000
// the level's rank, as the engine stores it (the queue's level filters compare ranks)
const RANK = `(CASE x.priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)`
const line = (s: string) => process.stdout.write(`${s}\n`)

let stopPg = async () => {}
let dataDir: string | undefined
let url = process.env.BENCH_DATABASE_URL
if (driver === 'postgres' && !url) {
  const pg = await startEmbeddedPostgres({
    user: 'bench',
    password: 'bench',
    database: 'bench',
    settings: { shared_buffers: '512MB', max_wal_size: '4GB', synchronous_commit: 'off', work_mem: '32MB' },
  })
  url = pg.url
  stopPg = pg.stop
}
if (driver === 'pglite') dataDir = mkdtempSync(join(tmpdir(), 'vulnsync-bench-insights-'))
const db = driver === 'postgres' ? await createPostgresDb(url!, { max: 4 }) : await createPgliteDb(dataDir)
const now = new Date()
const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
  const t0 = performance.now()
  const out = await fn()
  line(`${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  return out
}

try {
  await migrate(db)
  // a database that holds this bench's data already (BENCH_DATABASE_URL, the same count) is measured again as it is
  const kept = (
    await db.query<{ id: string; n: number }>(
      `SELECT w.id, (SELECT count(*)::int FROM issues i WHERE i.workspace_id = w.id) AS n FROM workspaces w WHERE w.name = 'bench'`,
    )
  ).rows[0]
  const build = async () => {
    const ws = (await db.query<{ id: string }>(`INSERT INTO workspaces (name) VALUES ('bench') RETURNING id`)).rows[0]!
      .id
    const conns: string[] = []
    for (const kind of ['snyk', 'ox', 'jfrog'])
      conns.push(
        (
          await db.query<{ id: string }>(
            `INSERT INTO connections (workspace_id, kind, name, config, secrets_enc) VALUES ($1, $2, $2, '{}', '') RETURNING id`,
            [ws, kind],
          )
        ).rows[0]!.id,
      )
    await db.query(
      `INSERT INTO teams (workspace_id, name, slug) SELECT $1, 'Team ' || g, 'team-' || g FROM generate_series(1, 20) g`,
      [ws],
    )
    await db.query(
      `INSERT INTO applications (workspace_id, name, origin) SELECT $1, 'App ' || g, 'user' FROM generate_series(1, 60) g`,
      [ws],
    )
    await timed(`issues (${count.toLocaleString('en')})`, () =>
      db.query(
        `WITH t AS (SELECT array_agg(id ORDER BY name) AS ids FROM teams WHERE workspace_id = $1),
              a AS (SELECT array_agg(id ORDER BY name) AS ids FROM applications WHERE workspace_id = $1),
              g AS (SELECT g, abs(hashtext(g::text)) % 1000 AS r1, abs(hashtext(g::text || 'b')) % 1000 AS r2,
                           (ARRAY['critical','high','high','medium','medium','medium','low','low','info'])[1 + g % 9] AS priority,
                           $2::timestamptz - make_interval(mins => (abs(hashtext(g::text || 'd')) % (730 * 1440))) AS det
                      FROM generate_series(1, $3::int) g),
              x AS (SELECT g.*, CASE WHEN r1 < 550 THEN 'fixed' WHEN r1 < 580 THEN 'accepted' WHEN r1 < 600 THEN 'false_positive'
                                      ELSE 'open' END AS status,
                           make_interval(hours => (24 * CASE priority WHEN 'critical' THEN 1 + r2 % 20 WHEN 'high' THEN 2 + r2 % 60
                                                 WHEN 'medium' THEN 5 + r2 % 150 ELSE 10 + r2 % 200 END)) AS fix_after
                      FROM g)
         INSERT INTO issues (workspace_id, target_key, package_key, cve, target_kind, target_name, package_name, ecosystem,
           severity, severity_rank, priority, priority_rank, status, detected_at, first_seen_at, last_seen_at, fixed_at,
           closed_at, sla_due_at, owner_team_id, application_id)
         SELECT $1, 'repo:' || (x.g % ${TARGETS}), 'pkg:npm/p' || (x.g % 5000), 'CVE-2024-' || x.g, 'repository',
                'org/repo-' || (x.g % ${TARGETS}), 'p' || (x.g % 5000), (ARRAY['npm','pypi','maven'])[1 + (x.g / ${TARGETS}) % 3],
                x.priority, ${RANK}, x.priority, ${RANK},
                CASE WHEN x.status = 'fixed' AND x.det + x.fix_after >= $2 THEN 'open' ELSE x.status END,
                x.det, x.det, x.det,
                CASE WHEN x.status = 'fixed' AND x.det + x.fix_after < $2 THEN x.det + x.fix_after END,
                CASE WHEN x.status <> 'open' AND x.det + x.fix_after < $2 THEN x.det + x.fix_after END,
                x.det + make_interval(days => CASE x.priority WHEN 'critical' THEN 7 WHEN 'high' THEN 30 WHEN 'medium' THEN 90
                                               WHEN 'low' THEN 180 END),
                CASE WHEN (x.g % ${TARGETS}) % 23 = 0 THEN NULL ELSE t.ids[1 + (x.g % ${TARGETS}) % 20] END,
                CASE WHEN (x.g % ${TARGETS}) % 7 = 0 THEN NULL ELSE a.ids[1 + (x.g % ${TARGETS}) % 60] END
           FROM x, t, a`,
        [ws, now, count],
      ),
    )
    // decided issues that are not closed yet (closed in the future) stay open
    await db.query(
      `UPDATE issues SET status = 'open' WHERE workspace_id = $1 AND status <> 'open' AND closed_at IS NULL`,
      [ws],
    )
    await timed('sources and occurrences', async () => {
      // snyk sees 2 of 3 issues, ox every other, jfrog every fifth (at least one each); own detection times
      await db.query(
        `INSERT INTO issue_sources (issue_id, connection_id, kind, present)
         SELECT i.id, c.id, c.kind, true FROM issues i JOIN connections c ON c.workspace_id = i.workspace_id
          WHERE i.workspace_id = $1 AND CASE c.kind WHEN 'snyk' THEN i.id % 3 <> 0
                                                    WHEN 'ox' THEN i.id % 2 = 0 OR i.id % 3 = 0 AND i.id % 5 <> 0
                                                    ELSE i.id % 5 = 0 END`,
        [ws],
      )
      await db.query(
        `INSERT INTO occurrences (workspace_id, connection_id, source_key, cve, package_purl, package_key, package_name, ecosystem,
           target, target_kind, target_name, match_key, match_display, issue_id, severity, vendor_severity, detected_at,
           detected_at_source, content_hash, state, first_seen_at, last_seen_at, last_seen_run_id)
         SELECT $1, s.connection_id, 'k' || i.id, i.cve, i.package_key, i.package_key, i.package_name, i.ecosystem, '{}',
                i.target_kind, i.target_name, i.target_key, i.target_name, i.id, i.severity, i.severity,
                i.detected_at + make_interval(hours => (abs(hashtext(i.id::text || s.kind)) % 5) * 24 * (abs(hashtext(s.kind)) % 3)),
                'vendor', 'h', 'present', i.detected_at, i.detected_at, gen_random_uuid()
           FROM issue_sources s JOIN issues i ON i.id = s.issue_id WHERE i.workspace_id = $1`,
        [ws],
      )
    })
    // the statistics a sync keeps during an import (refreshIngestStatistics); PGlite has no autovacuum to gather them
    await db.query('ANALYZE')
    await timed('coverage and detections (refreshCoverage, as at the end of each sync)', () => refreshCoverage(db, ws))
    await timed('timeline and decisions', async () => {
      await db.query(
        `INSERT INTO issue_events (workspace_id, issue_id, at, actor, actor_kind, type, detail)
         SELECT workspace_id, id, closed_at, 'sync', 'sync', 'status',
                jsonb_build_object('from', 'open', 'to', status, 'reason', CASE status WHEN 'fixed' THEN 'fixed' ELSE 'decided' END)
           FROM issues WHERE workspace_id = $1 AND closed_at IS NOT NULL`,
        [ws],
      )
      // every 16th open issue was fixed once and came back (reopened) before now
      await db.query(
        `INSERT INTO issue_events (workspace_id, issue_id, at, actor, actor_kind, type, detail)
         SELECT workspace_id, id, detected_at + (now() - detected_at) / 3, 'sync', 'sync', 'status',
                jsonb_build_object('from', 'open', 'to', 'fixed', 'reason', 'fixed')
           FROM issues WHERE workspace_id = $1 AND status = 'open' AND id % 16 = 0
         UNION ALL
         SELECT workspace_id, id, detected_at + (now() - detected_at) / 2, 'sync', 'sync', 'status',
                jsonb_build_object('from', 'fixed', 'to', 'open', 'reason', 'reopened')
           FROM issues WHERE workspace_id = $1 AND status = 'open' AND id % 16 = 0`,
        [ws],
      )
      await db.query(
        `WITH d AS (
           INSERT INTO decisions (workspace_id, kind, scope, issue_id, cve, reason, expires_at, created_by_name, created_at)
           SELECT workspace_id, status, 'issue', id, cve, 'bench', CASE WHEN status = 'accepted' THEN closed_at + interval '90 days' END,
                  'bench', closed_at
             FROM issues WHERE workspace_id = $1 AND status IN ('accepted', 'false_positive')
           RETURNING id, issue_id)
         UPDATE issues i SET decision_id = d.id FROM d WHERE i.id = d.issue_id`,
        [ws],
      )
    })
    await timed('snapshots (730 days, backfillSnapshots)', () =>
      db.transaction((tx) =>
        backfillSnapshots(tx, ws, {
          from: isoDay(new Date(now.getTime() - 729 * 86_400_000)),
          to: isoDay(new Date(now.getTime() - 86_400_000)),
          dueSoonDays: 7,
        }),
      ),
    )
    await timed("today's snapshot (takeSnapshot, as after a sync)", () =>
      takeSnapshot(db, ws, { now, dueSoonDays: 7, origin: 'daily' }),
    )
    return ws
  }
  const ws = kept?.n === count ? kept.id : await build()
  if (kept?.n === count) line(`reusing the bench data in the database (${count.toLocaleString('en')} issues)`)
  // the flows' periods: all of them the first time (as the daily job's first run), nothing after
  // the flows' periods and the months of time to fix and scanner overlap: all of them the first time (as the daily
  // job's first run), nothing after
  await timed('flows by period and month (rollFlows, first run or nothing to do)', () => rollFlows(db, ws, { now }))
  // the end of a sync: the late periods counted again, and scanner overlap of every complete month
  await timed('end of a sync (rollFlows late)', () => rollFlows(db, ws, { now, late: true }))
  if (driver === 'pglite') {
    // what the server runs after each sync on PGlite (no autovacuum there): the first after the import, then again
    // with nothing changed (the steady state between syncs)
    await timed('vacuumAfterSync (after a sync on PGlite)', () => vacuumAfterSync(db))
    await timed('vacuumAfterSync again, nothing changed', () => vacuumAfterSync(db))
  }
  // the steady state autovacuum keeps on PostgreSQL: statistics, and the visibility map index-only scans rely on;
  // BENCH_STATISTICS=server on PGlite: only what the server runs after a sync there (no autovacuum), the insight
  // tables left with what the migrations and VACUUM gave them
  if (driver === 'pglite' && process.env.BENCH_STATISTICS === 'server') await refreshQueueStatistics(db)
  else await db.query('VACUUM (ANALYZE)')
  const sizes = await db.query<{ issues: number; open: number; events: number; snaps: number; days: number }>(
    `SELECT (SELECT count(*)::int FROM issues) AS issues, (SELECT count(*)::int FROM issues WHERE status = 'open') AS open,
            (SELECT count(*)::int FROM issue_events) AS events, (SELECT count(*)::int FROM insight_snapshots) AS snaps,
            (SELECT count(*)::int FROM insight_snapshot_days) AS days`,
  )
  const s = sizes.rows[0]!
  line(
    `data: ${s.issues.toLocaleString('en')} issues (${s.open.toLocaleString('en')} open), ${s.events.toLocaleString('en')} timeline events, ` +
      `${s.snaps.toLocaleString('en')} snapshot rows over ${s.days} days (${Math.round(s.snaps / s.days)} a day)`,
  )

  const team = (await db.query<{ id: string }>(`SELECT id FROM teams ORDER BY name LIMIT 1`)).rows[0]!.id
  const day = (n: number) => isoDay(new Date(now.getTime() - n * 86_400_000))
  const windows: [string, InsightWindow][] = [
    ['30 d by day', { from: day(29), to: day(0), interval: 'day' }],
    ['90 d by week', { from: day(89), to: day(0), interval: 'week' }],
    ['2 y by month', { from: day(729), to: day(0), interval: 'month' }],
  ]
  const explained = new Set<string>()
  const explaining = (label: string): Queryable => ({
    query: async <T>(sql: string, params?: unknown[]) => {
      if (!explained.has(label)) {
        const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)
        line(`--- ${label}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`)
      }
      return db.query<T>(sql, params)
    },
    exec: (sql: string) => db.exec(sql),
    copyFrom: (sql: string, rows: Iterable<unknown[]>) => db.copyFrom(sql, rows),
  })
  const ctx = { now, dueSoonDays: 7 }
  line(`\nmeasure, window, filter: median / p95 of ${runs} runs (ms)`)
  // BENCH_MEASURES=headline,sla runs only those
  const only = process.env.BENCH_MEASURES?.split(',')
  for (const m of INSIGHT_MEASURES.filter((x) => !only || only.includes(x)))
    for (const [wl, w] of windows)
      for (const [fl, f] of [
        ['all', {}],
        ['team', { team }],
      ] as const) {
        if (explain) {
          await computeInsight(explaining(`${m} ${wl} ${fl}`), ws, m, f, w, ctx)
          explained.add(`${m} ${wl} ${fl}`)
        }
        await computeInsight(db, ws, m, f, w, ctx) // warm
        const ms: number[] = []
        for (let k = 0; k < runs; k++) {
          const t0 = performance.now()
          await computeInsight(db, ws, m, f, w, ctx)
          ms.push(performance.now() - t0)
        }
        ms.sort((a, b) => a - b)
        const p95 = ms[Math.min(ms.length - 1, Math.ceil(ms.length * 0.95) - 1)]!
        line(
          `${m.padEnd(16)} ${wl.padEnd(13)} ${fl.padEnd(5)} ${ms[Math.floor(ms.length / 2)]!.toFixed(0).padStart(6)} / ${p95.toFixed(0).padStart(6)}`,
        )
      }
} finally {
  await db.close()
  await stopPg()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
}
