/**
 * Ingest benchmark: 1,000,000 generated findings through the engine on PGlite and on PostgreSQL, then the same
 * again unchanged. Prints findings per second, the re-run speed-up as a ratio, and peak RSS of each process.
 *
 *   npm run bench:ingest                 # 1,000,000 on both drivers (embedded PostgreSQL started here)
 *   npm run bench:ingest -- 200000 pglite
 *   BENCH_DATABASE_URL=postgres://… npm run bench:ingest -- 1000000 postgres
 */
import { runBenchWorkers } from './support.ts'

const count = Number(process.argv[2] ?? 1_000_000)
const drivers = (process.argv[3] ?? 'pglite,postgres').split(',')
const results = await runBenchWorkers('bench/ingest-worker.ts', drivers, [String(count)])

const fmt = (n: number) => Math.round(n).toLocaleString('en')
console.log(`\ningest benchmark, ${fmt(count)} findings (1 CVE + 1 GHSA alias each, 500 repositories)`)
console.log('driver    first run (findings/s)  unchanged re-run (findings/s)  re-run speed-up  peak RSS (MB)')
for (const r of results)
  console.log(
    `${r.driver.padEnd(9)} ${fmt(r.firstRate).padStart(22)}  ${fmt(r.rerunRate).padStart(29)}  ${`${(r.rerunRate / r.firstRate).toFixed(2)}x`.padStart(15)}  ${fmt(r.peakRssMb).padStart(13)}`,
  )
for (const r of results)
  if (r.created !== r.count || r.unchanged !== r.count || r.issues !== r.count)
    console.log(
      `warning: ${r.driver} counts differ: created ${r.created}, unchanged ${r.unchanged}, issues ${r.issues}`,
    )
