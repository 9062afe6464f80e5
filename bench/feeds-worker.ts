/**
 * One side of the feeds benchmark, in its own process: N issues (ingested through the engine, their CVEs drawn from
 * the EPSS universe, four repositories per CVE), then the EPSS file loaded: the first load (every issue recomputed),
 * the next days' files (every score moves a little, as the daily recomputation does, and a few percent cross a policy
 * threshold: a full refresh), and the same file again (nothing changed). Each load is the whole refresh: read the
 * gzip, stage, judge, merge, recompute the changed CVEs' issues. Then the queue's EPSS filter is timed and explained.
 *
 * Flags (after the count): `--copy` builds the issues of the first repository (250,000) through the engine and the
 * other repositories' by copying those rows in SQL (issues, occurrences, issue sources: the same shape, built in a
 * fraction of the time), with the first EPSS file loaded before the issues exist (so the issues are computed with it
 * as a live system's are, and the first load recomputes none); `--runs=N` refreshes N next days and N unchanged
 * files, for medians. Prints one JSON line.
 */
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listIssues, queueWhere } from '@vulnsync/db'
import { epssFile, universeCve } from '@vulnsync/simulators/feeds/index.ts'
import { loadFeed } from '../apps/server/src/feeds/refresh.ts'
import { executeRun } from '../apps/server/src/sync/engine.ts'
import { createTestConnector, type TestDataset, type TestRaw } from '../apps/server/src/sync/test-connector.ts'
import { newRun, silentLogger } from '../apps/server/src/sync/test-support.ts'
import { openBenchDb, seedBenchTenant } from './support.ts'

const [driver, countArg, ...rest] = process.argv.slice(2)
const url = rest.at(-1)
const flags = rest.slice(0, -1)
const copy = flags.includes('--copy')
const runs = Number(flags.find((f) => f.startsWith('--runs='))?.slice(7) ?? 1)
if (!Number.isInteger(runs) || runs < 1 || runs > 9) throw new Error('--runs=N: N from 1 to 9')
const count = Number(countArg ?? 1_000_000)
if (!Number.isInteger(count) || count < 1) throw new Error('the issue count is a positive integer')
// the EPSS file's CVEs (a real file has 250,000+); BENCH_FEEDS_UNIVERSE only for a quick check of the benchmark itself
const UNIVERSE = Number(process.env.BENCH_FEEDS_UNIVERSE ?? 250_000)
const REPOS = Math.max(1, Math.ceil(count / UNIVERSE))
const SEVERITIES = ['critical', 'high', 'medium', 'low']

const dataset: TestDataset = {
  size: count,
  record: (i): TestRaw => ({
    id: `finding-${i}`,
    ids: [universeCve(i % UNIVERSE)],
    purl: `pkg:npm/package-${i % 20000}@1.${i % 7}.${i % 13}`,
    repo: `https://github.com/bench-org/repo-${Math.floor(i / UNIVERSE)}`,
    severity: SEVERITIES[i % 4]!,
    detectedAt: new Date(Date.UTC(2024, 0, 1) + (i % 500) * 86_400_000).toISOString(),
  }),
}

const tmp = mkdtempSync(join(tmpdir(), 'vulnsync-bench-feeds-'))
const db = await openBenchDb(driver!, url || undefined, join(tmp, 'pgdata'))
const { ws, conn } = await seedBenchTenant(db, REPOS)
const log = (line: string) => process.stderr.write(`  ${driver}: ${line}\n`)

const deps = {
  db,
  logger: silentLogger,
  now: () => new Date(),
  config: { feedUrls: { kev: '', epss: '' }, allowPrivateNetworks: true },
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!
const load = async (label: string, day: number) => {
  const file = join(tmp, `epss-${day}.csv.gz`)
  writeFileSync(file, epssFile({ rows: UNIVERSE, day }).gzip)
  const t = performance.now()
  const r = await loadFeed(deps, 'epss', { label: file, open: async () => createReadStream(file) })
  if (r.error) throw new Error(`${label}: ${r.error.message}`)
  const secs = (performance.now() - t) / 1000
  log(
    `${label}: ${secs.toFixed(1)} s, ${r.changedCves.toLocaleString('en')} CVEs changed, ${r.issuesExamined.toLocaleString('en')} issues recomputed, ${r.priorityChanged.toLocaleString('en')} changed priority`,
  )
  return { secs, changedCves: r.changedCves, issuesExamined: r.issuesExamined, priorityChanged: r.priorityChanged }
}

/** Repository k's issues, occurrences and issue sources as copies of repository 0's (new ids, keys and names). */
const copyRepository = async (k: number) =>
  db.transaction(async (tx) => {
    const { rows: repos } = await tx.query<{ id: number; full_name: string; web_url: string }>(
      `SELECT id, full_name, web_url FROM repositories WHERE workspace_id = $1 AND full_name = ANY($2::text[])`,
      [ws, ['bench-org/repo-0', `bench-org/repo-${k}`]],
    )
    const from = repos.find((r) => r.full_name === 'bench-org/repo-0')!
    const to = repos.find((r) => r.full_name === `bench-org/repo-${k}`)!
    const columns = async (table: string) =>
      (
        await tx.query<{ column_name: string }>(
          `SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = $1 AND column_name <> 'id' ORDER BY ordinal_position`,
          [table],
        )
      ).rows.map((r) => r.column_name)
    const list = (cols: string[], over: Record<string, string>, alias: string) =>
      cols.map((c) => over[c] ?? `${alias}.${c}`).join(', ')
    const ic = await columns('issues')
    await tx.query(
      `INSERT INTO issues (${ic.join(', ')})
       SELECT ${list(ic, { target_key: `'repo:' || $2::bigint`, repository_id: '$2::bigint', target_name: '$3', target_url: '$4' }, 'i')}
         FROM issues i WHERE i.workspace_id = $5 AND i.target_key = 'repo:' || $1::bigint`,
      [from.id, to.id, to.full_name, to.web_url, ws],
    )
    await tx.query(
      `CREATE TEMP TABLE copied ON COMMIT DROP AS
       SELECT a.id AS old_id, b.id AS new_id FROM issues a
         JOIN issues b ON b.workspace_id = a.workspace_id AND b.target_key = 'repo:' || $2::bigint
                      AND b.package_key = a.package_key AND b.cve = a.cve
        WHERE a.workspace_id = $3 AND a.target_key = 'repo:' || $1::bigint`,
      [from.id, to.id, ws],
    )
    const oc = await columns('occurrences')
    await tx.query(
      `INSERT INTO occurrences (${oc.join(', ')})
       SELECT ${list(oc, { repository_id: '$1::bigint', issue_id: 'm.new_id', source_key: `o.source_key || '@' || $2::text` }, 'o')}
         FROM occurrences o JOIN copied m ON m.old_id = o.issue_id`,
      [to.id, String(k)],
    )
    const sc = await columns('issue_sources')
    await tx.query(
      `INSERT INTO issue_sources (${sc.join(', ')})
       SELECT ${list(sc, { issue_id: 'm.new_id' }, 's')} FROM issue_sources s JOIN copied m ON m.old_id = s.issue_id`,
    )
  })

const result: Record<string, unknown> = { driver, count, build: copy ? 'copy' : 'ingest', runs }
let first: Awaited<ReturnType<typeof load>> | null = null
if (copy) first = await load('first load (no issues yet)', 0)
const t0 = performance.now()
const ingest = await executeRun(
  { db, logger: silentLogger, allowPrivateNetworks: true, batchSize: 2000 },
  createTestConnector(() => (copy ? { ...dataset, size: Math.min(count, UNIVERSE) } : dataset), { pageSize: 1000 }),
  conn,
  await newRun(db, conn),
  new AbortController().signal,
)
if (ingest.status !== 'succeeded') throw new Error(`ingest ${ingest.status}: ${JSON.stringify(ingest.error)}`)
result.ingestSecs = (performance.now() - t0) / 1000
log(
  `${Math.min(count, copy ? UNIVERSE : count).toLocaleString('en')} issues ingested in ${Number(result.ingestSecs).toFixed(0)} s`,
)
if (copy) {
  const t1 = performance.now()
  for (let k = 1; k < REPOS; k++) await copyRepository(k)
  result.copySecs = (performance.now() - t1) / 1000
  log(`copied to ${REPOS - 1} more repositories in ${Number(result.copySecs).toFixed(0)} s`)
}
await db.query('ANALYZE')
result.issues = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM issues')).rows[0]!.n
log(`${Number(result.issues).toLocaleString('en')} issues`)

if (!copy) first = await load('first load', 0)
const fulls = []
for (let d = 1; d <= runs; d++) fulls.push(await load(`day ${d} (every score moves)`, d))
const sames = []
for (let r = 0; r < runs; r++) sames.push(await load(`day ${runs} again (nothing changed)`, runs))
const pick = (xs: Awaited<ReturnType<typeof load>>[]) => {
  const m = median(xs.map((x) => x.secs))
  return { ...xs.find((x) => x.secs === m)!, all: xs.map((x) => Number(x.secs.toFixed(1))) }
}

// the queue's EPSS filter on the refreshed data: a page and its total, and how PostgreSQL runs the page
const timed = async (epssMin: number) => {
  const t = performance.now()
  const page = await listIssues(db, ws, { epssMin }, { sort: 'priority', limit: 50 })
  return { epssMin, ms: Math.round(performance.now() - t), items: page.rows.length, total: page.total }
}
result.queue = [await timed(0.5), await timed(0.95), await timed(0.001)]
log(`queue with epssMin: ${JSON.stringify(result.queue)}`)
const { where, params } = queueWhere(ws, { epssMin: 0.5 })
const explain = async (sql: string) =>
  (await db.query<Record<string, string>>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${sql}`, params)).rows.map(
    (r) => Object.values(r)[0]!,
  )
const plan = {
  page: await explain(
    `SELECT i.id FROM issues i WHERE ${where} ORDER BY i.priority_rank DESC, i.severity_rank DESC, i.id DESC LIMIT 51`,
  ),
  total: await explain(`SELECT count(*) FROM issues i WHERE ${where}`),
}
result.plan = plan
log(`plan of a page with epssMin=0.5:\n    ${plan.page.join('\n    ')}`)
log(`plan of its total:\n    ${plan.total.join('\n    ')}`)

await db.close()
rmSync(tmp, { recursive: true, force: true })
process.stdout.write(
  `${JSON.stringify({ ...result, first, full: pick(fulls), same: pick(sames), peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
)
