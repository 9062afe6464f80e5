/**
 * Ingest benchmark: 1,000,000 generated findings through the engine on PGlite and on PostgreSQL, then the same
 * again unchanged. Prints findings per second, the re-run speed-up as a ratio, and peak RSS of each process.
 *
 *   npm run bench:ingest                 # 1,000,000 on both drivers (embedded PostgreSQL started here)
 *   npm run bench:ingest -- 200000 pglite
 *   BENCH_DATABASE_URL=postgres://… npm run bench:ingest -- 1000000 postgres
 */
import { execFileSync } from 'node:child_process'
import { startEmbeddedPostgres } from '@vulnsync/db/embedded-postgres'

const count = Number(process.argv[2] ?? 1_000_000)
const drivers = (process.argv[3] ?? 'pglite,postgres').split(',')

let pgUrl = process.env.BENCH_DATABASE_URL
let stopPg = async () => {}
if (drivers.includes('postgres') && !pgUrl) {
  const pg = await startEmbeddedPostgres({
    user: 'bench',
    password: 'bench',
    database: 'bench',
    settings: { shared_buffers: '512MB', max_wal_size: '4GB', synchronous_commit: 'off' },
  })
  pgUrl = pg.url
  stopPg = pg.stop
}

const results = []
try {
  for (const d of drivers) {
    process.stderr.write(`ingesting ${count.toLocaleString('en')} findings on ${d} …\n`)
    const out = execFileSync(
      process.execPath,
      ['apps/server/bin/run-ts.mjs', 'bench/ingest-worker.ts', d, String(count), pgUrl ?? ''],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      },
    )
    results.push(JSON.parse(out.trim().split('\n').at(-1)!))
  }
} finally {
  await stopPg()
}

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
