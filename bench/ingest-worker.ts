/**
 * One side of the ingest benchmark, in its own process so its peak RSS is its own: pushes N generated findings
 * through the engine with the test connector (first run), then the same N again (unchanged re-run).
 * BENCH_DROP_INDEXES=a,b drops those indexes after the migrations, to measure what each index costs the ingest.
 * Prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { executeRun } from '../apps/server/src/sync/engine.ts'
import { createTestConnector, type TestDataset, type TestRaw } from '../apps/server/src/sync/test-connector.ts'
import { newRun } from '../apps/server/src/sync/test-support.ts'
import { openBenchDb, seedBenchTenant } from './support.ts'

const [driver, countArg, url] = process.argv.slice(2)
const count = Number(countArg ?? 1_000_000)
const REPOS = 500
const SEVERITIES = ['critical', 'high', 'medium', 'low']

/** A dataset generated record by record: nothing of the tenant is held in memory. */
const dataset: TestDataset = {
  size: count,
  record: (i): TestRaw => ({
    id: `finding-${i}`,
    ids: [`CVE-${2015 + (i % 10)}-${String(100000 + i)}`, `GHSA-${(i % 9000).toString(36).padStart(4, 'x')}-aaaa-bbbb`],
    purl: `pkg:npm/package-${i % 20000}@1.${i % 7}.${i % 13}`,
    repo: `https://github.com/bench-org/repo-${i % REPOS}`,
    severity: SEVERITIES[i % 4]!,
    detectedAt: new Date(Date.UTC(2024, 0, 1) + (i % 500) * 86_400_000).toISOString(),
    epss: (i % 100) / 1000,
    ...(i % 17 === 0 ? { reachable: 'unreachable' as const } : {}),
  }),
}

const silent = { debug() {}, info() {}, warn() {}, error() {} }
// PGlite on disk, as `vulnsync serve` runs it (in memory it would hold the whole database in the process)
const dataDir = driver === 'pglite' ? mkdtempSync(join(tmpdir(), 'vulnsync-bench-pglite-')) : undefined
const db = await openBenchDb(driver!, url, dataDir)
const dropped = (process.env.BENCH_DROP_INDEXES ?? '').split(',').filter(Boolean)
for (const name of dropped) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`BENCH_DROP_INDEXES: ${name} is not an index name`)
  await db.exec(`DROP INDEX ${name}`)
}
const { conn } = await seedBenchTenant(db, REPOS)
const connector = createTestConnector(() => dataset, { pageSize: 1000 })
const opts = { db, logger: silent, allowPrivateNetworks: true, batchSize: 2000 }
const never = new AbortController().signal

const timed = async () => {
  const t0 = performance.now()
  const out = await executeRun(opts, connector, conn, await newRun(db, conn), never)
  const secs = (performance.now() - t0) / 1000
  if (out.status !== 'succeeded') throw new Error(`run ${out.status}: ${JSON.stringify(out.error)}`)
  return { secs, counts: out.counts }
}
const first = await timed()
const second = await timed()
const issues = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM issues')).rows[0]!.n
await db.close()
if (dataDir) rmSync(dataDir, { recursive: true, force: true })
process.stdout.write(
  `${JSON.stringify({
    driver,
    count,
    dropped,
    firstSecs: first.secs,
    firstRate: count / first.secs,
    rerunSecs: second.secs,
    rerunRate: count / second.secs,
    created: first.counts.created,
    unchanged: second.counts.unchanged,
    issues,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
)
