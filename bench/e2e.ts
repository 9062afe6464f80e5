/**
 * End-to-end sync benchmark through a connector (issue 18): an Endor Labs simulator serving N findings over 5,000
 * projects over HTTP, an Endor connection created through the API, one sync through the real connector and engine,
 * per driver, each in its own process (bench/e2e-worker.ts), then the same sync again with nothing changed (what the
 * schedule runs every six hours). Prints findings/s end to end and where the first sync's time went (stage timers,
 * core/profile.ts), and the CPU a finding costs each process on the cores (this one, the simulator, the
 * embedded PostgreSQL server). Driver `sim` reads the simulator alone (how fast it serves the same pages); driver
 * `read` runs the read side alone (the connector, mapping and preparing, no database): with it, each database driver
 * also prints the **ceiling**, the rate no engine can pass on this machine: the read side, the simulator and the
 * database's own cost of the rows the sync left (one INSERT … SELECT per table into empty copies with the same
 * indexes), sharing 2 cores perfectly.
 *
 *   npm run bench:e2e                                  # 100,000 findings: read, postgres and pglite
 *   npm run bench:e2e -- 1000000 read,postgres,pglite,sim
 *
 * PostgreSQL is BENCH_DATABASE_URL or an embedded server started here. Not part of `npm test`.
 */
import { loadavg } from 'node:os'
import { runBenchWorkers } from './support.ts'

const findings = Number(process.argv[2] ?? 100_000)
const drivers = (process.argv[3] ?? 'read,postgres,pglite').split(',')
const projects = Number(process.argv[4] ?? 5_000)
if (!Number.isInteger(findings) || findings < 1) throw new Error('the finding count is a positive integer')

const fmt = (n: number) => n.toLocaleString('en')
const TARGET: Record<string, number> = { postgres: 5_000, pglite: 3_000 }
/** the CPU a finding of each process on the cores, as e2e-worker measured it */
const cpuOf = (
  driver: string,
  x: { cpuUsPerFinding: number; simCpuUsPerFinding: number | null; serverCpuUsPerFinding?: number | null },
) =>
  `this process ${fmt(x.cpuUsPerFinding)} µs${driver === 'pglite' ? ' (the database in it)' : ''}, the simulator ${fmt(x.simCpuUsPerFinding ?? Number.NaN)} µs${x.serverCpuUsPerFinding == null ? '' : `, the PostgreSQL server at least ${fmt(x.serverCpuUsPerFinding)} µs`}`
const results = await runBenchWorkers('bench/e2e-worker.ts', drivers, [String(findings), String(projects)])
const read = results.find((r) => r.driver === 'read')
for (const r of results) {
  if (r.driver === 'read') {
    console.log(
      `read side alone (connector, digesting, mapping, preparing; no database): ${fmt(r.fetched)} findings in ${r.secs} s = ${fmt(r.findingsPerSec)} findings/s; CPU a finding: ${cpuOf(r.driver, r)}; load ${r.load}`,
    )
    continue
  }
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
    `    this process: RSS ${fmt(r.rssBeforeMb)} MB before the sync, peak ${fmt(r.peakRssMb)} MB (${r.peakRssMb > r.peakBeforeMb ? `${fmt(r.peakRssMb - r.rssBeforeMb)} MB above` : 'not above the peak before it'})`,
  )
  const all = r.cpuUsPerFinding + r.simCpuUsPerFinding + (r.serverCpuUsPerFinding ?? 0)
  console.log(
    `    CPU a finding over the sync: ${cpuOf(r.driver, r)}; ${fmt(all)} µs in all, ${((all * r.findingsPerSec) / 1e6).toFixed(2)} of 2 cores busy on average`,
  )
  const byTable = Object.entries(r.databaseSecs as Record<string, number>)
    .map(([t, s]) => `${t} ${s.toFixed(2)}`)
    .join(', ')
  console.log(
    `    database alone (the rows the sync left, one INSERT … SELECT per table): ${fmt(r.databaseUsPerFinding)} µs a finding; seconds by table: ${byTable}`,
  )
  if (read) {
    // the simulator and this process's JavaScript each on one thread; the database on the process's thread (PGlite)
    // or on any core (PostgreSQL); all of it within 2 cores
    const js = r.driver === 'pglite' ? read.cpuUsPerFinding + r.databaseUsPerFinding : read.cpuUsPerFinding
    const total = read.simCpuUsPerFinding + read.cpuUsPerFinding + r.databaseUsPerFinding
    const ceiling = Math.min(1e6 / read.simCpuUsPerFinding, 1e6 / js, 2e6 / total)
    console.log(
      `    ceiling (no engine): ${fmt(read.simCpuUsPerFinding)} µs simulator + ${fmt(read.cpuUsPerFinding)} µs read side + ${fmt(r.databaseUsPerFinding)} µs database alone = ${fmt(total)} µs a finding → ${fmt(Math.round(ceiling))} findings/s on 2 cores; target ${fmt(TARGET[r.driver] ?? 0)} (${((TARGET[r.driver] ?? 0) / ceiling).toFixed(2)}× the ceiling); this run ${(r.findingsPerSec / ceiling).toFixed(2)}× it`,
    )
  }
  const q = r.rerun
  console.log(
    `    the same sync again, unchanged (what runs every six hours): ${q.status}, ${fmt(q.unchanged)} unchanged, ${q.secs} s = ${fmt(q.findingsPerSec)} findings/s; CPU a finding: ${cpuOf(r.driver, q)}`,
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
