/**
 * One side of the feeds benchmark, in its own process: N issues (ingested through the engine, their CVEs drawn from
 * the EPSS universe, four repositories per CVE), then the EPSS file loaded three times: the first load (every issue
 * recomputed), the next day's file (every score moves: a full refresh), and the same file again (nothing changed).
 * Each load is the whole refresh: read the gzip, stage, judge, merge, recompute the changed CVEs' issues.
 * Prints one JSON line.
 */
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { epssFile, universeCve } from '@vulnsync/simulators/feeds/index.ts'
import { loadFeed } from '../apps/server/src/feeds/refresh.ts'
import { executeRun } from '../apps/server/src/sync/engine.ts'
import { createTestConnector, type TestDataset, type TestRaw } from '../apps/server/src/sync/test-connector.ts'
import { newRun } from '../apps/server/src/sync/test-support.ts'
import { openBenchDb, seedBenchTenant } from './support.ts'

const [driver, countArg, url] = process.argv.slice(2)
const count = Number(countArg ?? 1_000_000)
const UNIVERSE = 250_000
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

const silent = { debug() {}, info() {}, warn() {}, error() {} }
const tmp = mkdtempSync(join(tmpdir(), 'vulnsync-bench-feeds-'))
const db = await openBenchDb(driver!, url, join(tmp, 'pgdata'))
const { conn } = await seedBenchTenant(db, REPOS)
const t0 = performance.now()
const ingest = await executeRun(
  { db, logger: silent, allowPrivateNetworks: true, batchSize: 2000 },
  createTestConnector(() => dataset, { pageSize: 1000 }),
  conn,
  await newRun(db, conn),
  new AbortController().signal,
)
if (ingest.status !== 'succeeded') throw new Error(`ingest ${ingest.status}: ${JSON.stringify(ingest.error)}`)
const ingestSecs = (performance.now() - t0) / 1000
process.stderr.write(`  ${driver}: ${count.toLocaleString('en')} issues ingested in ${ingestSecs.toFixed(0)} s\n`)

const deps = {
  db,
  logger: silent,
  now: () => new Date(),
  config: { feedUrls: { kev: '', epss: '' }, allowPrivateNetworks: true },
}
const load = async (label: string, day: number) => {
  const file = join(tmp, `epss-${day}.csv.gz`)
  writeFileSync(file, epssFile({ rows: UNIVERSE, day }).gzip)
  const t = performance.now()
  const r = await loadFeed(deps, 'epss', { label: file, open: async () => createReadStream(file) })
  if (r.error) throw new Error(`${label}: ${r.error.message}`)
  const secs = (performance.now() - t) / 1000
  process.stderr.write(
    `  ${driver}: ${label}: ${secs.toFixed(1)} s, ${r.changedCves.toLocaleString('en')} CVEs changed, ${r.issuesExamined.toLocaleString('en')} issues recomputed, ${r.priorityChanged.toLocaleString('en')} changed priority\n`,
  )
  return { secs, changedCves: r.changedCves, issuesExamined: r.issuesExamined, priorityChanged: r.priorityChanged }
}
const first = await load('first load', 0)
const full = await load('next day (every score moves)', 1)
const same = await load('the same file again', 1)
const issues = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM issues')).rows[0]!.n
await db.close()
rmSync(tmp, { recursive: true, force: true })
process.stdout.write(
  `${JSON.stringify({ driver, count, issues, ingestSecs, first, full, same, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
)
