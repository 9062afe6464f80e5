/**
 * One side of the ingest benchmark, in its own process so its peak RSS is its own: first the floor (the same
 * findings' occurrence rows written with COPY into a bare table without indexes, on the same database), then N
 * generated findings through the engine with the test connector (first run), then the same N again (unchanged re-run,
 * after vacuumAfterSync: the state the scheduled re-sync finds),
 * then the ceilings: the rows the import left written set-based into empty copies of their tables (the schema's own
 * cost), and one UPDATE marking every occurrence seen (what a re-run cannot do without).
 * BENCH_DROP_INDEXES=a,b drops those indexes after the migrations, to measure what each index costs the ingest.
 * BENCH_BATCH=n writes in batches of n, BENCH_IN_FLIGHT=k with k batches in flight (the engine's defaults otherwise).
 * BENCH_PROFILE=1 adds the time spent in each statement (and in transactions outside statements) to stderr.
 * Prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Db, vacuumAfterSync } from '@vulnsync/db'
import { executeRun } from '../apps/server/src/sync/engine.ts'
import { digestRecord, occurrencesOf } from '../apps/server/src/sync/prepare.ts'
import { createTestConnector, type TestDataset, type TestRaw, testMap } from '../apps/server/src/sync/test-connector.ts'
import { neverAborted, newRun, silentLogger } from '../apps/server/src/sync/test-support.ts'
import {
  cpuMeter,
  isLocalServer,
  openBenchDb,
  printProfile,
  profiledDb,
  rolledBack,
  schemaSecs,
  seedBenchTenant,
} from './support.ts'

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

// PGlite on disk, as `vulnsync serve` runs it (in memory it would hold the whole database in the process)
const dataDir = driver === 'pglite' ? mkdtempSync(join(tmpdir(), 'vulnsync-bench-pglite-')) : undefined
const opened = await openBenchDb(driver!, url, dataDir)
;(globalThis as any).gc?.()
// the driver's own idle footprint: the process with the database open and migrated, before any ingest
const idleRssMb = process.memoryUsage().rss / 2 ** 20
// the peak so far: opening PGlite (loading the WASM module, migrating) peaks above where it settles
const startPeakRssMb = process.resourceUsage().maxRSS / 1024
const profile = new Map<string, { n: number; ms: number }>()
const db = process.env.BENCH_PROFILE ? profiledDb(opened, profile) : opened
const dropped = (process.env.BENCH_DROP_INDEXES ?? '').split(',').filter(Boolean)
for (const name of dropped) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`BENCH_DROP_INDEXES: ${name} is not an index name`)
  await db.exec(`DROP INDEX ${name}`)
}
const { conn } = await seedBenchTenant(db, REPOS)
const connector = createTestConnector(() => dataset, { pageSize: 1000 })
// the engine's own batch size and batches in flight unless BENCH_BATCH and BENCH_IN_FLIGHT say otherwise
const opts = {
  db,
  logger: silentLogger,
  allowPrivateNetworks: true,
  ...(process.env.BENCH_BATCH ? { batchSize: Number(process.env.BENCH_BATCH) } : {}),
  ...(process.env.BENCH_IN_FLIGHT ? { writesInFlight: Number(process.env.BENCH_IN_FLIGHT) } : {}),
}

// the server's CPU is read from this machine's processes: only when the server runs here (the embedded one does)
const serverIsLocal = driver === 'postgres' && isLocalServer(url!)
const timed = async () => {
  const run = await newRun(db, conn)
  const t0 = performance.now()
  const cpu = cpuMeter({ server: serverIsLocal })
  const out = await executeRun(opts, connector, conn, run, neverAborted)
  const secs = (performance.now() - t0) / 1000
  // this process's CPU time (on PGlite the database's too: it runs in the process)
  const { self: cpuSecs, server: serverCpuSecs } = cpu()
  if (out.status !== 'succeeded') throw new Error(`run ${out.status}: ${JSON.stringify(out.error)}`)
  return { secs, cpuSecs, serverCpuSecs, counts: out.counts }
}
const { rate: floor, prepareSecs, rereadSecs } = await floorRate(db, conn.workspaceId, conn.id)
const first = await timed()
// the re-run finds what six hours between syncs leave: the server's vacuumAfterSync on PGlite (after every sync), what
// autovacuum has done by then on PostgreSQL (statistics, and the visibility map index-only scans rely on); untimed
const settleT0 = performance.now()
await vacuumAfterSync(opened)
const settleSecs = (performance.now() - settleT0) / 1000
const second = await timed()
// the import's peak, before the ceilings below copy whole tables
const peakRssMb = process.resourceUsage().maxRSS / 1024
// the ceilings: what the rows the import left cost the database alone, written set-based with the schema's indexes
const schema = await schemaSecs(opened)
const markSeen = await markSeenSecs(opened)
const issues = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM issues')).rows[0]!.n
await db.close()
if (dataDir) rmSync(dataDir, { recursive: true, force: true })
process.stdout.write(
  `${JSON.stringify({
    driver,
    count,
    dropped,
    floorSecs: count / floor,
    floorRate: floor,
    prepareSecs,
    rereadSecs,
    schemaSecs: schema,
    markSeenSecs: markSeen,
    firstSecs: first.secs,
    firstRate: count / first.secs,
    firstCpuSecs: first.cpuSecs,
    firstServerCpuSecs: first.serverCpuSecs,
    settleSecs,
    rerunSecs: second.secs,
    rerunRate: count / second.secs,
    rerunCpuSecs: second.cpuSecs,
    rerunServerCpuSecs: second.serverCpuSecs,
    created: first.counts.created,
    unchanged: second.counts.unchanged,
    issues,
    idleRssMb,
    startPeakRssMb,
    peakRssMb,
  })}\n`,
)
printProfile(profile, `${driver}: time by statement (both runs), ms total / calls`)

/**
 * The floor: the same findings, mapped and prepared as the engine does (not timed), their occurrence rows written
 * with COPY in chunks of 10,000 into a table with the occurrence columns and no index or constraint (timed); the
 * table is dropped after. Returns rows per second, the seconds spent generating, digesting, mapping and preparing the
 * findings (JavaScript alone, no database: what the read side of any first import costs at least), and those spent
 * generating and digesting them alone (what an unchanged re-run's read side costs at least: it maps no record read
 * as it was stored).
 */
async function floorRate(db: Db, workspaceId: string, connectionId: string) {
  const cols = `workspace_id, connection_id, source_key, cve, aliases, package_purl, package_key, package_name,
    ecosystem, package_version, target, target_kind, target_name, target_version, match_key, match_display, ext_key,
    url_key, name_key, repository_id, issue_id, scope, severity, vendor_severity, cvss, detected_at, detected_at_source,
    fixed_versions, signals, vendor_factors, evidence, vendor_state, title, link, content_hash, state, first_seen_at,
    last_seen_at, last_seen_run_id, absent_since, manifest_path, affected_ranges, ownership`
  await db.exec(`CREATE TABLE bench_floor AS SELECT ${cols} FROM occurrences WITH NO DATA`)
  const runId = crypto.randomUUID()
  const now = new Date().toISOString()
  let ms = 0
  let prepareMs = 0
  let rereadMs = 0
  for (let start = 0; start < count; start += 10_000) {
    const rows: unknown[][] = []
    for (let i = start; i < Math.min(count, start + 10_000); i++) {
      const tp = performance.now()
      const raw = dataset.record(i)!
      // the record's JSON text and digest, which every sync makes (the text is what a first import stores)
      const { record, digest } = digestRecord('test', { raw })
      rereadMs += performance.now() - tp
      const prepared = occurrencesOf(
        testMap(raw) as any[],
        record,
        undefined,
        (err) => {
          throw err
        },
        digest,
      )
      prepareMs += performance.now() - tp
      for (const o of prepared) {
        rows.push([
          workspaceId,
          connectionId,
          o.source_key,
          o.cve,
          o.aliases,
          o.package_purl,
          o.package_key,
          o.package_name,
          o.ecosystem,
          o.package_version,
          o.target,
          o.target_kind,
          o.target_name,
          o.target_version,
          o.match_key,
          o.match_display,
          o.ext_id ? `${o.ext_provider}:${o.ext_id}` : null,
          o.url_key,
          o.name_key,
          null,
          null,
          o.scope,
          o.severity,
          o.vendor_severity,
          o.cvss,
          o.detected_at ?? now,
          'vendor',
          o.fixed_versions,
          o.signals,
          o.vendor_factors,
          o.evidence,
          o.vendor_state,
          o.title,
          o.link,
          o.content_hash,
          'present',
          now,
          now,
          runId,
          null,
          o.manifest_path,
          o.affected_ranges,
          o.ownership ?? null,
        ])
      }
    }
    const t0 = performance.now()
    await db.copyFrom(`COPY bench_floor (${cols}) FROM STDIN`, rows)
    ms += performance.now() - t0
  }
  const copied = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM bench_floor')).rows[0]!.n
  if (copied !== count) throw new Error(`floor: ${copied} rows copied of ${count}`)
  await db.exec('DROP TABLE bench_floor')
  return { rate: count / (ms / 1000), prepareSecs: prepareMs / 1000, rereadSecs: rereadMs / 1000 }
}

/**
 * What an unchanged re-run costs the database at least while every occurrence keeps its last-seen mark (resolution
 * needs it): one UPDATE setting the mark of every present occurrence of the records stored with a digest, as a re-run
 * finds them (through source_records), in a transaction rolled back after. Seconds.
 */
async function markSeenSecs(db: Db): Promise<number> {
  return rolledBack(db, async (tx) => {
    const t0 = performance.now()
    await tx.query(
      `UPDATE occurrences o SET last_seen_at = $1, last_seen_run_id = $2 FROM source_records s
        WHERE s.digest IS NOT NULL AND o.connection_id = s.connection_id AND o.source_key = s.source_key
          AND o.state = 'present'`,
      [new Date(), crypto.randomUUID()],
    )
    return (performance.now() - t0) / 1000
  })
}
