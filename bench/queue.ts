/**
 * Queue benchmark: N issues (default 1,000,000) on PGlite (on disk) and on PostgreSQL, built quickly (a base set
 * through the engine, the rest copied in SQL with realistic spreads: bench/queue-data.ts), then every queue case
 * measured directly against the store: p50, p95 and p99 of each, the rate that p50 allows, and p95 as a ratio to
 * issue 18's target (≤ 1 meets it); then 20 concurrent clients over HTTP on the default page.
 *
 *   npm run bench:queue                         # 1,000,000 issues on both drivers (embedded PostgreSQL started here)
 *   npm run bench:queue -- 200000 pglite --runs=10 --clients=0
 *   BENCH_DATABASE_URL=postgres://… npm run bench:queue -- 1000000 postgres
 */
import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { runBenchWorkers } from './support.ts'

const count = Number(process.argv[2] ?? 1_000_000)
const drivers = (process.argv[3] ?? 'pglite,postgres').split(',')
const flags = process.argv.slice(4).filter((f) => /^--(runs|clients|seconds)=\d+$/.test(f))
const load0 = loadavg()[0]!
const results = await runBenchWorkers('bench/queue-worker.ts', drivers, [String(count), ...flags])
const load1 = loadavg()[0]!

/** issue 18's targets (p95, ms): free text 150 on both; everything else 50 on PostgreSQL, 150 on PGlite */
const target = (driver: string, name: string) => (name.startsWith('free text') || driver === 'pglite' ? 150 : 50)
const ms = (x: number) => x.toFixed(1).padStart(7)
let commit = ''
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
} catch {}
console.log(
  `\nqueue benchmark, ${Math.round(count).toLocaleString('en')} issues; page of 50 in the default sort with its total; ${new Date().toISOString().slice(0, 10)}, commit ${commit || '?'}, load ${load0.toFixed(1)} → ${load1.toFixed(1)}`,
)
const names = results[0].cases.map((c: any) => c.name)
const head = results.map((r) => `${r.driver}: p50     p95     p99  q/s  p95/target`).join(' │ ')
console.log(`${'case'.padEnd(26)} │ ${head}${results.length === 2 ? ' │ p95 ratio' : ''}`)
for (const name of names) {
  const cells = results.map((r) => {
    const c = r.cases.find((x: any) => x.name === name)
    return `${' '.repeat(r.driver.length - 2)}${ms(c.p50)} ${ms(c.p95)} ${ms(c.p99)} ${String(Math.round(1000 / c.p50)).padStart(4)}  ${(c.p95 / target(r.driver, name)).toFixed(2).padStart(10)}`
  })
  const ratio =
    results.length === 2
      ? ` │ ${(results[0].cases.find((x: any) => x.name === name).p95 / results[1].cases.find((x: any) => x.name === name).p95).toFixed(1).padStart(8)}x`
      : ''
  console.log(`${name.padEnd(26)} │ ${cells.join(' │ ')}${ratio}`)
}
for (const r of results) {
  const worst = r.cases.reduce((a: any, c: any) =>
    c.p95 / target(r.driver, c.name) > a.p95 / target(r.driver, a.name) ? c : a,
  )
  console.log(
    `${r.driver}: ${r.issues.toLocaleString('en')} issues built in ${r.build.secs.toFixed(0)} s (engine ${r.build.ingestSecs.toFixed(0)} s, copy ${r.build.copySecs.toFixed(0)} s, indexes ${r.build.indexSecs.toFixed(0)} s); peak RSS ${Math.round(r.peakRssMb)} MB; worst case against its target: ${worst.name} (p95 ${worst.p95.toFixed(1)} ms)`,
  )
  if (r.http)
    console.log(
      `${r.driver}: HTTP, ${r.http.clients} clients on the default page for ${r.http.seconds.toFixed(0)} s: ${r.http.rate.toFixed(0)} requests/s (target ${r.driver === 'pglite' ? 50 : 200}), p50 ${r.http.p50.toFixed(0)} ms, p95 ${r.http.p95.toFixed(0)} ms, ${r.http.errors} errors`,
    )
}
