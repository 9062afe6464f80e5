/**
 * Ingest benchmark: 1,000,000 generated findings through the engine on PGlite and on PostgreSQL, then the same
 * again unchanged. Prints findings per second and each rate's ratio to the floor measured in the same run (the same
 * rows written with COPY into a bare table without indexes), the process's idle RSS with the database open and
 * migrated, and its peak RSS.
 *
 *   npm run bench:ingest                 # 1,000,000 on both drivers (embedded PostgreSQL started here)
 *   npm run bench:ingest -- 200000 pglite
 *   BENCH_DATABASE_URL=postgres://… npm run bench:ingest -- 1000000 postgres
 */
import { loadavg } from 'node:os'
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
