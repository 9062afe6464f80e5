/**
 * The queue benchmark's data: a base set of findings ingested through the engine (one repository, one `endor`
 * connection), then copied in SQL to the wanted issue count with realistic spreads: 5,000 repositories, four source
 * kinds (endor, snyk, ox, xray; some issues have two), skewed severities with priorities moved by policy factors,
 * statuses and stages, 40 assignees (a third of issues assigned, a few people carry most), 25 teams, 60 applications,
 * KEV entries on 1.5 %, SLA due dates on open issues. Every spread is drawn from a hash of the row, so two builds are
 * the same. The copies carry no occurrences (the queue never reads them; an issue's detail does).
 *
 * The secondary indexes of `issues` and `issue_sources` are dropped before the copy and created again after it (as a
 * bulk load is done), so the build takes minutes; the schema measured is exactly the migrated one.
 */
import type { Db } from '@vulnsync/db'
import { executeRun } from '../apps/server/src/sync/engine.ts'
import { createTestConnector, type TestDataset, type TestRaw } from '../apps/server/src/sync/test-connector.ts'
import {
  newRun,
  seedConnection,
  seedRepositories,
  seedWorkspace,
  silentLogger,
} from '../apps/server/src/sync/test-support.ts'

export const REPOS = 5000
export const SOURCES = ['endor', 'snyk', 'ox', 'xray'] as const
const USERS = 40
const TEAMS = 25
const APPS = 60
const SEVERITIES = ['critical', 'high', 'high', 'medium', 'medium', 'medium', 'low', 'low', 'low', 'low']
const ECOSYSTEMS = ['npm', 'pypi', 'maven', 'golang', 'nuget']

/** The base findings: `size` distinct (package, CVE) pairs in bench-org/repo-0. */
const baseDataset = (size: number): TestDataset => ({
  size,
  record: (i): TestRaw => {
    const eco = ECOSYSTEMS[i % ECOSYSTEMS.length]!
    const pkg = eco === 'maven' ? `org.example/lib-${i % 3000}` : `${eco}-package-${i % 3000}`
    return {
      id: `finding-${i}`,
      ids: [`CVE-${2015 + (i % 11)}-${10000 + i}`, ...(i % 5 === 0 ? [`GHSA-bench-${i.toString(36)}`] : [])],
      purl: `pkg:${eco}/${pkg}@${1 + (i % 9)}.${i % 7}.${i % 13}`,
      repo: 'https://github.com/bench-org/repo-0',
      severity: SEVERITIES[(i * 7) % SEVERITIES.length]!,
      detectedAt: new Date(Date.UTC(2024, 0, 1) + (i % 700) * 86_400_000).toISOString(),
    }
  },
})

export interface QueueDataset {
  ws: string
  connections: Record<(typeof SOURCES)[number], string>
  users: string[]
  teams: string[]
  applications: string[]
  repositories: { id: number; name: string }[]
  issues: number
  ingestSecs: number
  copySecs: number
  indexSecs: number
}

/** Builds `count` issues (at least `base`), `base` of them through the engine. */
export const buildQueueDataset = async (
  db: Db,
  count: number,
  o: { base?: number; log?: (line: string) => void } = {},
): Promise<QueueDataset> => {
  const base = Math.min(o.base ?? 20_000, count)
  const log = o.log ?? (() => {})
  const ws = await seedWorkspace(db)
  const { repos } = await seedRepositories(
    db,
    ws,
    Array.from({ length: REPOS }, (_, i) => ({ fullName: `bench-org/repo-${i}`, externalId: String(i) })),
  )
  const byName = new Map(repos.map((r) => [r.full_name, r.id]))
  const repositories = Array.from({ length: REPOS }, (_, i) => ({
    id: byName.get(`bench-org/repo-${i}`)!,
    name: `bench-org/repo-${i}`,
  }))
  const conns = {} as Record<(typeof SOURCES)[number], string>
  const endor = await seedConnection(db, ws, { kind: 'endor', name: 'endor' })
  conns.endor = endor.id
  for (const k of SOURCES.slice(1)) conns[k] = (await seedConnection(db, ws, { kind: k, name: k })).id
  const ids = async (sql: string, n: number) =>
    (await db.query<{ id: string }>(sql, [ws, n])).rows.map((r) => r.id).sort()
  const users = await ids(
    `INSERT INTO users (workspace_id, username, role) SELECT $1, 'user-' || g, 'member' FROM generate_series(1, $2) g RETURNING id`,
    USERS,
  )
  const teams = await ids(
    `INSERT INTO teams (workspace_id, name, slug) SELECT $1, 'Team ' || g, 'team-' || g FROM generate_series(1, $2) g RETURNING id`,
    TEAMS,
  )
  const applications = await ids(
    `INSERT INTO applications (workspace_id, name, origin) SELECT $1, 'App ' || g, 'user' FROM generate_series(1, $2) g RETURNING id`,
    APPS,
  )

  const t0 = performance.now()
  const run = await executeRun(
    { db, logger: silentLogger, allowPrivateNetworks: true, batchSize: 2000 },
    createTestConnector(() => baseDataset(base), { pageSize: 1000 }),
    endor,
    await newRun(db, endor),
    new AbortController().signal,
  )
  if (run.status !== 'succeeded') throw new Error(`base ingest ${run.status}: ${JSON.stringify(run.error)}`)
  const ingestSecs = (performance.now() - t0) / 1000
  log(`${base.toLocaleString('en')} base findings ingested in ${ingestSecs.toFixed(1)} s`)

  // the secondary indexes go while the rows are copied, and come back after
  const { rows: defs } = await db.query<{ name: string; def: string }>(
    `SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename IN ('issues', 'issue_sources')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
  )
  const t1 = performance.now()
  await db.exec(`DROP INDEX ${defs.map((d) => d.name).join(', ')}`)
  await db.exec(`CREATE TEMP TABLE bench_repos (idx int PRIMARY KEY, id bigint, name text, url text);
                 CREATE TEMP TABLE bench_people (kind text, idx int, id uuid, PRIMARY KEY (kind, idx))`)
  await db.query(
    `INSERT INTO bench_repos SELECT r.idx, r.id, r.name, 'https://github.com/' || r.name
       FROM jsonb_to_recordset($1::jsonb) AS r(idx int, id bigint, name text)`,
    [JSON.stringify(repositories.map((r, idx) => ({ idx, ...r })))],
  )
  await db.query(
    `INSERT INTO bench_people SELECT p.kind, p.idx, p.id FROM jsonb_to_recordset($1::jsonb) AS p(kind text, idx int, id uuid)`,
    [
      JSON.stringify([
        ...users.map((id, idx) => ({ kind: 'user', idx, id })),
        ...teams.map((id, idx) => ({ kind: 'team', idx, id })),
        ...applications.map((id, idx) => ({ kind: 'app', idx, id })),
      ]),
    ],
  )
  const { rows: cols } = await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'issues' AND column_name <> 'id' ORDER BY ordinal_position`,
  )
  const { rows: maxRow } = await db.query<{ id: number }>('SELECT max(id)::bigint AS id FROM issues')
  const baseMax = maxRow[0]!.id
  // the spreads: h1..h6 are independent draws in 0..9999 from the (base issue, copy) pair
  const over: Record<string, string> = {
    target_key: `'repo:' || r.id`,
    repository_id: 'r.id',
    target_name: 'r.name',
    target_url: 'r.url',
    severity: 'x.severity',
    severity_rank: 'x.sev',
    priority: `(ARRAY['info','low','medium','high','critical'])[x.pri + 1]`,
    priority_rank: 'x.pri',
    status: 'x.status',
    stage: `CASE WHEN x.status <> 'open' THEN 'new' ELSE (ARRAY['new','new','new','new','new','triaged','triaged','triaged','in_progress','in_progress','fix_proposed','fix_merged'])[1 + x.h4 % 12] END`,
    detected_at: 'x.detected',
    first_seen_at: 'x.detected',
    last_seen_at: `x.detected + make_interval(days => x.h5 % 60)`,
    fixed_at: `CASE WHEN x.status = 'fixed' THEN x.detected + make_interval(days => 10 + x.h5 % 90) END`,
    closed_at: `CASE WHEN x.status <> 'open' THEN x.detected + make_interval(days => 10 + x.h5 % 90) END`,
    sla_due_at: `CASE WHEN x.status = 'open' AND x.sev > 0 THEN x.detected + make_interval(days => (ARRAY[0,180,90,30,7])[x.sev + 1]) END`,
    assignee_id: `CASE WHEN x.h6 % 3 = 0 THEN (SELECT p.id FROM bench_people p WHERE p.kind = 'user' AND p.idx = floor(${USERS} * power((x.h6 % 1000) / 1000.0, 2))::int) END`,
    owner_team_id: `CASE WHEN x.h5 % 100 < 85 THEN (SELECT p.id FROM bench_people p WHERE p.kind = 'team' AND p.idx = floor(${TEAMS} * power((x.h4 % 997) / 997.0, 1.5))::int) END`,
    application_id: `CASE WHEN x.h3 % 100 < 60 THEN (SELECT p.id FROM bench_people p WHERE p.kind = 'app' AND p.idx = (x.h3 / 100) % ${APPS}) END`,
    kev: `CASE WHEN x.h2 % 1000 < 15 THEN jsonb_build_object('dateAdded', '2024-03-01', 'dueDate', NULL, 'knownRansomware', x.h2 % 2 = 0) END`,
    review_needed: 'x.h1 % 500 = 0',
    decision_id: 'NULL',
    owner_context_id: 'NULL',
    created_tx: 'NULL',
  }
  const select = cols.map((c) => over[c.column_name] ?? `b.${c.column_name}`).join(', ')
  const copies = Math.ceil(count / base) - 1
  const perStatement = Math.max(1, Math.floor(100_000 / base))
  for (let j = 1; j <= copies; j += perStatement) {
    const last = Math.min(copies, j + perStatement - 1)
    await db.query(
      `INSERT INTO issues (${cols.map((c) => c.column_name).join(', ')})
       SELECT ${select}
         FROM issues b
         CROSS JOIN generate_series($2::int, $3::int) j
         CROSS JOIN LATERAL (SELECT (hashtext(b.id || ':' || j)::bigint & 2147483647) AS h) hh
         CROSS JOIN LATERAL (
           SELECT (hh.h % 10000)::int AS h1, (hh.h / 7 % 10000)::int AS h2, (hh.h / 49 % 10000)::int AS h3,
                  (hh.h / 343 % 10000)::int AS h4, (hh.h / 2401 % 10000)::int AS h5, (hh.h / 16807 % 10000)::int AS h6) d
         CROSS JOIN LATERAL (
           SELECT CASE WHEN d.h1 % 1000 < 50 THEN 4 WHEN d.h1 % 1000 < 250 THEN 3 WHEN d.h1 % 1000 < 700 THEN 2
                       WHEN d.h1 % 1000 < 970 THEN 1 ELSE 0 END AS sev) s
         CROSS JOIN LATERAL (
           SELECT s.sev, d.h1, d.h2, d.h3, d.h4, d.h5, d.h6,
                  (ARRAY['info','low','medium','high','critical'])[s.sev + 1] AS severity,
                  greatest(0, least(4, s.sev + CASE WHEN d.h2 % 100 < 70 THEN 0 WHEN d.h2 % 100 < 85 THEN -1
                                                     WHEN d.h2 % 100 < 95 THEN 1 ELSE -2 END)) AS pri,
                  CASE WHEN d.h3 % 100 < 78 THEN 'open' WHEN d.h3 % 100 < 96 THEN 'fixed' ELSE 'excluded' END AS status,
                  timestamptz '2023-06-01' + make_interval(days => d.h4 % 730, secs => d.h5) AS detected) x
         JOIN bench_repos r ON r.idx = 1 + ((b.id * 31 + j * 997) % ${REPOS - 1})
        WHERE b.workspace_id = $1 AND b.id <= $4`,
      [ws, j, last, baseMax],
    )
    log(`copies ${j}–${last} of ${copies}`)
  }
  // one source per copied issue (endor 45 %, snyk 30 %, ox 17 %, xray 8 %), a second one for 12 %
  await db.query(
    `INSERT INTO issue_sources (issue_id, connection_id, kind, present)
     SELECT i.id, c.id, c.kind, true FROM issues i
       CROSS JOIN LATERAL (SELECT (hashtext('src' || i.id)::bigint & 2147483647) % 100 AS h) d
       JOIN connections c ON c.workspace_id = i.workspace_id
        AND c.kind = CASE WHEN d.h < 45 THEN 'endor' WHEN d.h < 75 THEN 'snyk' WHEN d.h < 92 THEN 'ox' ELSE 'xray' END
      WHERE i.workspace_id = $1 AND i.id > $2
     UNION ALL
     SELECT i.id, c.id, c.kind, true FROM issues i
       CROSS JOIN LATERAL (SELECT (hashtext('src' || i.id)::bigint & 2147483647) % 100 AS h, (hashtext('two' || i.id)::bigint & 2147483647) % 100 AS t) d
       JOIN connections c ON c.workspace_id = i.workspace_id
        AND c.kind = CASE WHEN d.h < 45 THEN 'snyk' ELSE 'endor' END
      WHERE i.workspace_id = $1 AND i.id > $2 AND d.t < 12`,
    [ws, baseMax],
  )
  const copySecs = (performance.now() - t1) / 1000
  log(`copied in ${copySecs.toFixed(1)} s`)
  const t2 = performance.now()
  for (const d of defs) await db.exec(d.def)
  await db.exec('DROP TABLE bench_repos; DROP TABLE bench_people')
  await db.exec('VACUUM ANALYZE issues')
  await db.exec('VACUUM ANALYZE issue_sources')
  // the search terms the copies' inserts added (migration 0015): their trigram index's pending list merged, as
  // vacuumAfterSync does after a sync on PGlite and autovacuum on PostgreSQL
  await db.exec('VACUUM ANALYZE issue_search_terms')
  const indexSecs = (performance.now() - t2) / 1000
  log(`${defs.length} indexes built, vacuumed and analysed in ${indexSecs.toFixed(1)} s`)
  const issues = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM issues WHERE workspace_id = $1', [ws]))
    .rows[0]!.n
  return { ws, connections: conns, users, teams, applications, repositories, issues, ingestSecs, copySecs, indexSecs }
}
