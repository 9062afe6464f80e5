/**
 * Feeds benchmark: N issues (default 1,000,000) on PGlite and on PostgreSQL, then EPSS refreshes of a full-size file
 * (250,000 CVEs; four issues per CVE): the first load, a full refresh where every score moved, and an unchanged one.
 * The time of a refresh is all of it: reading the gzip, staging, merging and recomputing the issues.
 *
 *   npm run bench:feeds                 # 1,000,000 issues on both drivers (embedded PostgreSQL started here)
 *   npm run bench:feeds -- 200000 pglite
 *   BENCH_DATABASE_URL=postgres://… npm run bench:feeds -- 1000000 postgres
 *   npm run bench:feeds -- 1000000 postgres --copy --runs=3   # issues copied in SQL; medians of 3 refreshes
 */
import { runBenchWorkers } from './support.ts'

const count = Number(process.argv[2] ?? 1_000_000)
const drivers = (process.argv[3] ?? 'pglite,postgres').split(',')
// --copy (build issues beyond the first 250,000 by copying rows in SQL), --runs=N (medians of N refreshes)
const flags = process.argv.slice(4).filter((f) => f === '--copy' || /^--runs=\d$/.test(f))
const results = await runBenchWorkers('bench/feeds-worker.ts', drivers, [String(count), ...flags])

const fmt = (n: number) => Math.round(n).toLocaleString('en')
const s = (x: number) => `${x.toFixed(1)} s`
console.log(`\nfeeds benchmark: EPSS refresh (250,000 CVEs, gzip) over ${fmt(count)} issues`)
console.log('driver    issues     first load   full refresh (issues recomputed)   unchanged refresh   peak RSS (MB)')
for (const r of results)
  console.log(
    `${r.driver.padEnd(9)} ${fmt(r.issues).padStart(9)}  ${s(r.first.secs).padStart(10)}   ${`${s(r.full.secs)} (${fmt(r.full.issuesExamined)})`.padStart(32)}   ${s(r.same.secs).padStart(17)}   ${fmt(r.peakRssMb).padStart(13)}`,
  )
for (const r of results)
  console.log(`${r.driver}: full refreshes ${r.full.all.join(', ')} s; unchanged ${r.same.all.join(', ')} s`)
