/**
 * Ingest benchmark: 1,000,000 generated findings through the engine on PGlite and on PostgreSQL, then the same
 * again unchanged. Prints findings per second and each rate's ratio to the floor measured in the same run (the same
 * rows written with COPY into a bare table without indexes), the process's idle RSS with the database open and
 * migrated, and its peak RSS. Then the ceilings no engine can pass on this machine: what reading and preparing the
 * findings costs JavaScript alone, what storing the import's result costs the database alone (its rows written
 * set-based into empty copies of their tables, with their indexes), and what marking every occurrence seen costs.
 *
 *   npm run bench:ingest                 # 1,000,000 on both drivers (embedded PostgreSQL started here)
 *   npm run bench:ingest -- 200000 pglite
 *   BENCH_DATABASE_URL=postgres://… npm run bench:ingest -- 1000000 postgres
 */
import { availableParallelism, loadavg } from 'node:os'
import { runBenchWorkers } from './support.ts'

const count = Number(process.argv[2] ?? 1_000_000)
const drivers = (process.argv[3] ?? 'pglite,postgres').split(',')
const results = await runBenchWorkers('bench/ingest-worker.ts', drivers, [String(count)])

const fmt = (n: number) => Math.round(n).toLocaleString('en')
const ratio = (r: number, floor: number) => `${(r / floor).toFixed(2)}x`
const [load1, load5] = loadavg()
console.log(`\ningest benchmark, ${fmt(count)} findings (1 CVE + 1 GHSA alias each, 500 repositories)`)
console.log(`load average at the end: ${load1!.toFixed(2)} (1 min), ${load5!.toFixed(2)} (5 min)`)
console.log(
  'floor: the same occurrence rows with COPY into a bare table without indexes, same database, same run; ratios are to it',
)
console.log(
  'driver    floor (rows/s)  first run (findings/s)  ratio  unchanged re-run (findings/s)  ratio  idle RSS (MB)  peak RSS (MB)  peak above idle',
)
for (const r of results)
  console.log(
    `${r.driver.padEnd(9)} ${fmt(r.floorRate).padStart(14)}  ${fmt(r.firstRate).padStart(22)}  ${ratio(r.firstRate, r.floorRate).padStart(5)}  ${fmt(r.rerunRate).padStart(29)}  ${ratio(r.rerunRate, r.floorRate).padStart(5)}  ${fmt(r.idleRssMb).padStart(13)}  ${fmt(r.peakRssMb).padStart(13)}  ${fmt(r.peakRssMb - r.idleRssMb).padStart(15)}`,
  )
for (const r of results)
  console.log(`${r.driver}: peak RSS while opening and migrating, before any ingest: ${fmt(r.startPeakRssMb)} MB`)
for (const r of results)
  if (r.created !== r.count || r.unchanged !== r.count || r.issues !== r.count)
    console.log(
      `warning: ${r.driver} counts differ: created ${r.created}, unchanged ${r.unchanged}, issues ${r.issues}`,
    )

// The ceilings. Every import prepares its findings in JavaScript (one thread) and stores the same rows; with the two
// on separate cores at best (PostgreSQL) or on one thread (PGlite runs in the process), no import of this data can
// be faster than the figures below, however its engine is written.
const TARGETS: Record<string, { first: number; rerun?: number }> = {
  postgres: { first: 12_000, rerun: 60_000 },
  pglite: { first: 7_000 },
}
const cores = availableParallelism()
/** the cores an import can use: PGlite runs the database on the process's one thread */
const coresOf = (driver: string) => (driver === 'pglite' ? 1 : cores)
/** findings/s when the JavaScript (one thread) and the database share `n` cores perfectly */
const shared = (js: number, database: number, n: number) => Math.min(js, n * database, n / (1 / js + 1 / database))
console.log(
  `\nceilings (findings/s): JavaScript alone = generating, digesting, mapping and preparing every finding, no database; JavaScript, re-run = generating and digesting every finding (a re-run maps no record read as it was stored); database alone = the rows the first import left, written in one INSERT … SELECT per table into empty copies with the same indexes (first import), or one UPDATE marking seen every occurrence of the records stored with a digest (re-run); combined = both sharing ${cores} cores perfectly (PostgreSQL) or one thread (PGlite, in the process)`,
)
console.log(
  'driver    JavaScript alone  database alone, first import  combined  target  JavaScript, re-run  database alone, re-run  combined  target',
)
for (const r of results) {
  const js = count / r.prepareSecs
  const jsRerun = count / r.rereadSecs
  const schema = count / Object.values(r.schemaSecs as Record<string, number>).reduce((a, b) => a + b, 0)
  const mark = count / r.markSeenSecs
  const n = coresOf(r.driver)
  const t = TARGETS[r.driver] ?? { first: Number.NaN }
  console.log(
    `${r.driver.padEnd(9)} ${fmt(js).padStart(16)}  ${fmt(schema).padStart(28)}  ${fmt(shared(js, schema, n)).padStart(8)}  ${fmt(t.first).padStart(6)}  ${fmt(jsRerun).padStart(18)}  ${fmt(mark).padStart(22)}  ${fmt(shared(jsRerun, mark, n)).padStart(8)}  ${(t.rerun ? fmt(t.rerun) : '-').padStart(6)}`,
  )
}
for (const r of results)
  console.log(
    `${r.driver}: database alone, seconds by table: ${Object.entries(r.schemaSecs as Record<string, number>)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ')}; marking every occurrence seen ${r.markSeenSecs.toFixed(2)}`,
  )
// Where the CPU goes: an import is CPU-bound when this process and the server together keep every core busy.
const us = (secs: number) => fmt((secs / count) * 1e6)
for (const r of results) {
  for (const [phase, cpu, server, rate] of [
    ['first import', r.firstCpuSecs, r.firstServerCpuSecs, r.firstRate],
    ['unchanged re-run', r.rerunCpuSecs, r.rerunServerCpuSecs, r.rerunRate],
  ] as const) {
    const total = cpu + (server ?? 0)
    const parts =
      r.driver === 'pglite'
        ? `this process (the database in it) ${us(cpu)} µs`
        : server === null
          ? `this process ${us(cpu)} µs (the server's CPU is not readable here)`
          : `this process ${us(cpu)} µs, the PostgreSQL server at least ${us(server)} µs`
    console.log(
      `${r.driver} ${phase}: CPU per finding ${parts}, ${us(total)} µs in all; ${(total / (count / rate)).toFixed(2)} of ${coresOf(r.driver)} cores busy on average`,
    )
  }
}
