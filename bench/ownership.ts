/**
 * Ownership benchmark: N generated findings (manifest paths in 40 services of 500 repositories, every repository with
 * a CODEOWNERS file, every 10th finding with a scanner owner) through the engine, then the time to recompute the
 * ownership of every issue after a rule change (a rule saved, then deleted), as the API does it: one transaction,
 * set-based, no scanner read again. Prints one line per step.
 *
 *   npm run bench:ownership                          # 1,000,000 findings on embedded PostgreSQL
 *   npm run bench:ownership -- 100000 pglite
 *   npm run bench:ownership -- 20000 postgres 1000000  # 20,000 ingested, the issues copied in SQL up to 1,000,000
 *
 * The third form is for a slow machine: copies of the ingested issues (another CVE each) keep their owner context,
 * so the recompute after a rule change works on 1,000,000 issues as it would after a 1,000,000-finding import with
 * the same repositories and manifests (the contexts, not the issues, are what is resolved).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createPgliteDb,
  createPostgresDb,
  deleteRule,
  insertRule,
  insertTeam,
  issuesWithoutOwnerContext,
  migrate,
  pruneOwnerContexts,
  recomputeOwnership,
  saveCodeowners,
} from '@vulnsync/db'
import { startEmbeddedPostgres } from '@vulnsync/db/embedded-postgres'
import { changeOwnership } from '../apps/server/src/ownership/ownership.ts'
import { executeRun } from '../apps/server/src/sync/engine.ts'
import { createTestConnector, type TestDataset, type TestRaw } from '../apps/server/src/sync/test-connector.ts'
import {
  newRun,
  seedConnection,
  seedRepositories,
  seedWorkspace,
  silentLogger,
} from '../apps/server/src/sync/test-support.ts'

const count = Number(process.argv[2] ?? 1_000_000)
const driver = process.argv[3] ?? 'postgres'
const target = Number(process.argv[4] ?? 0)
const REPOS = 500
const SERVICES = 40
const TEAMS = ['payments', 'identity', 'commerce', 'data', 'platform']
const SEVERITIES = ['critical', 'high', 'medium', 'low']

const dataset: TestDataset = {
  size: count,
  record: (i): TestRaw => ({
    id: `finding-${i}`,
    ids: [`CVE-${2015 + (i % 10)}-${String(100000 + i)}`],
    purl: `pkg:npm/package-${i % 20000}@1.${i % 7}.${i % 13}`,
    repo: `https://github.com/bench-org/repo-${i % REPOS}`,
    severity: SEVERITIES[i % 4]!,
    manifest: i % 5 === 0 ? 'package.json' : `services/svc-${i % SERVICES}/package.json`,
    ...(i % 10 === 3 ? { owners: [TEAMS[i % TEAMS.length]!] } : {}),
  }),
}
const codeowners = (r: number) =>
  [
    '* @bench-org/platform',
    ...Array.from(
      { length: SERVICES },
      (_, s) => `/services/svc-${s}/ @bench-org/${TEAMS[(s + r) % (TEAMS.length - 1)]}`,
    ),
  ].join('\n')

let stopPg = async () => {}
let dataDir: string | undefined
let url = process.env.BENCH_DATABASE_URL
if (driver === 'postgres' && !url) {
  const pg = await startEmbeddedPostgres({
    user: 'bench',
    password: 'bench',
    database: 'bench',
    settings: { shared_buffers: '512MB', max_wal_size: '4GB', synchronous_commit: 'off' },
  })
  url = pg.url
  stopPg = pg.stop
}
if (driver === 'pglite') dataDir = mkdtempSync(join(tmpdir(), 'vulnsync-bench-ownership-'))
const db = driver === 'postgres' ? await createPostgresDb(url!, { max: 4 }) : await createPgliteDb(dataDir)
const line = (s: string) => process.stdout.write(`${s}\n`)
try {
  await migrate(db)
  const ws = await seedWorkspace(db)
  await seedRepositories(
    db,
    ws,
    Array.from({ length: REPOS }, (_, i) => ({ fullName: `bench-org/repo-${i}`, externalId: String(i) })),
  )
  const teams = new Map<string, string>()
  for (const slug of TEAMS) teams.set(slug, await insertTeam(db, ws, { name: slug, slug, defaultAssigneeId: null }))
  const scm = (await db.query<{ connection_id: string }>('SELECT connection_id FROM repositories LIMIT 1')).rows[0]!
  await saveCodeowners(db, {
    workspaceId: ws,
    connectionId: scm.connection_id,
    now: new Date(),
    rows: Array.from({ length: REPOS }, (_, r) => ({
      externalId: String(r),
      codeowners: { path: '.github/CODEOWNERS', dialect: 'github' as const, content: codeowners(r) },
    })),
  })
  const conn = await seedConnection(db, ws, { name: 'bench' })
  const connector = createTestConnector(() => dataset, { pageSize: 1000 })
  const t0 = performance.now()
  const run = await executeRun(
    { db, logger: silentLogger, allowPrivateNetworks: true, batchSize: 2000 },
    connector,
    conn,
    await newRun(db, conn),
    new AbortController().signal,
  )
  const ingestSecs = (performance.now() - t0) / 1000
  if (run.status !== 'succeeded') throw new Error(`run ${run.status}: ${JSON.stringify(run.error)}`)
  const q = async (sql: string) => (await db.query<{ n: number }>(sql)).rows[0]!.n
  const ingested = await q('SELECT count(*)::int AS n FROM issues')
  if (target > ingested) {
    const cols = (
      await db.query<{ c: string }>(
        `SELECT column_name AS c FROM information_schema.columns
          WHERE table_name = 'issues' AND column_name NOT IN ('id', 'cve') ORDER BY ordinal_position`,
      )
    ).rows.map((r) => r.c)
    const t = performance.now()
    const copies = Math.ceil(target / ingested) - 1
    for (let k = 1; k <= copies; k++)
      await db.query(
        `INSERT INTO issues (${cols.join(', ')}, cve) SELECT ${cols.join(', ')}, cve || '-copy${k}' FROM issues
          WHERE cve NOT LIKE '%-copy%' LIMIT $1`,
        [Math.min(ingested, target - ingested * k)],
      )
    await db.query('ANALYZE issues')
    line(`copied the issues up to ${target.toLocaleString('en')} in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  }
  const issues = await q('SELECT count(*)::int AS n FROM issues')
  const contexts = await q('SELECT count(*)::int AS n FROM owner_contexts')
  line(
    `${driver}: ${count.toLocaleString('en')} findings ingested with ownership in ${ingestSecs.toFixed(1)} s (${Math.round(count / ingestSecs).toLocaleString('en')}/s); ${issues.toLocaleString('en')} issues, ${contexts.toLocaleString('en')} owner contexts`,
  )

  // a rule that takes services/svc-7 from whoever CODEOWNERS names, then its deletion (everything moves back)
  const now = new Date()
  const t1 = performance.now()
  const saved = await changeOwnership(db, ws, now, async (tx) => ({
    result: {
      id: await insertRule(tx, ws, {
        match: { repository: null, image: null, path: 'services/svc-7/**' },
        teamId: teams.get('data')!,
        applicationId: null,
        createdBy: 'bench',
      }),
    },
  }))
  const saveSecs = (performance.now() - t1) / 1000
  line(
    `rule saved: ownership of ${issues.toLocaleString('en')} issues recomputed in ${saveSecs.toFixed(2)} s (${saved.recompute.contexts.toLocaleString('en')} contexts resolved, ${saved.recompute.issuesMoved.toLocaleString('en')} issues moved)`,
  )
  const t2 = performance.now()
  const removed = await changeOwnership(db, ws, now, async (tx) => {
    await deleteRule(tx, ws, saved.id)
    return { result: {} }
  })
  const deleteSecs = (performance.now() - t2) / 1000
  // where the time goes when nothing moves: the look for issues without a context, the pruning, the resolution
  const phases = await db.transaction(async (tx) => {
    const at = [performance.now()]
    await issuesWithoutOwnerContext(tx, ws, 5000)
    at.push(performance.now())
    await pruneOwnerContexts(tx, ws)
    at.push(performance.now())
    const r = await recomputeOwnership(tx, ws, { now })
    at.push(performance.now())
    return { ms: at.slice(1).map((t, k) => Math.round(t - at[k]!)), moved: r.issuesMoved }
  })
  line(
    `a recompute that moves nothing (${phases.moved} moved): issues without context ${phases.ms[0]} ms, pruning ${phases.ms[1]} ms, resolving ${phases.ms[2]} ms`,
  )
  line(
    `rule deleted: recomputed in ${deleteSecs.toFixed(2)} s (${removed.recompute.issuesMoved.toLocaleString('en')} issues moved back); peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
  )
} finally {
  await db.close()
  await stopPg()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
}
