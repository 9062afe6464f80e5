/**
 * End-to-end sync benchmark through a connector (issue 18): an Endor Labs simulator serving N findings over 5,000
 * projects over HTTP, an Endor connection created through the API, one sync through the real connector and engine,
 * per driver, each in its own process (bench/e2e-worker.ts). Prints findings/s end to end and where the time went
 * (stage timers, core/profile.ts). Driver `sim` reads the simulator alone (how fast it serves the same pages).
 *
 *   npm run bench:e2e                                  # 100,000 findings, postgres and pglite
 *   npm run bench:e2e -- 1000000 postgres,pglite,sim
 *
 * PostgreSQL is BENCH_DATABASE_URL or an embedded server started here. Not part of `npm test`.
 */
import { loadavg } from 'node:os'
import { runBenchWorkers } from './support.ts'

const findings = Number(process.argv[2] ?? 100_000)
const drivers = (process.argv[3] ?? 'postgres,pglite').split(',')
const projects = Number(process.argv[4] ?? 5_000)
if (!Number.isInteger(findings) || findings < 1) throw new Error('the finding count is a positive integer')

const fmt = (n: number) => n.toLocaleString('en')
const results = await runBenchWorkers('bench/e2e-worker.ts', drivers, [String(findings), String(projects)])
for (const r of results) {
  if (r.driver === 'sim') {
    console.log(
      `sim alone: ${fmt(r.listed)} listed findings in ${r.pages} pages of ${r.mbPerPage} MB, ${r.secs} s = ${fmt(r.findingsPerSec)} findings/s (${r.msPerPage} ms/page); load ${r.load}`,
    )
    continue
  }
  console.log(
    `${r.driver}: ${r.status}; ${fmt(r.datasetFindings)} findings in the namespace, ${fmt(r.fetched)} read through the connector → ${fmt(r.occurrences)} occurrences (${fmt(r.unmatched)} unmatched), ${fmt(r.issues)} issues; run ${r.runSecs} s = ${fmt(r.findingsPerSec)} findings/s (read+write phase ${r.readSecs} s = ${fmt(r.readFindingsPerSec)}/s); ${fmt(r.vendorRequests)} vendor requests; load ${r.load}`,
  )
  console.log(
    `    this process: CPU ${fmt(r.cpuUsPerFinding)} µs a finding over the sync (${r.driver === 'pglite' ? 'the database in it' : 'the database server not counted'}); RSS ${fmt(r.rssBeforeMb)} MB before the sync, peak ${fmt(r.peakRssMb)} MB (${r.peakRssMb > r.peakBeforeMb ? `${fmt(r.peakRssMb - r.rssBeforeMb)} MB above` : 'not above the peak before it'})`,
  )
  const rows = Object.entries(r.stages as Record<string, { ms: number; n: number }>).sort(([a], [b]) =>
    a.localeCompare(b),
  )
  for (const [k, v] of rows)
    console.log(`    ${k.padEnd(22)} ${(v.ms / 1000).toFixed(1).padStart(7)} s  (${fmt(v.n)}×)`)
  console.log(
    `    ${'db calls (sum)'.padEnd(22)} ${(r.dbCallMs / 1000).toFixed(1).padStart(7)} s  (${fmt(r.dbCalls)}×)`,
  )
}
console.log(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)
