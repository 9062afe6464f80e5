/**
 * Workflow benchmark: 1,000,000 generated findings imported on PGlite (on disk) and on PostgreSQL, then a bulk
 * assignment of 100,000 issues and the queue's default page filtered by `sla=breached` and by `assignee=me`.
 * Prints the bulk assignment as issues per second and the queue's median and p95 per case.
 *
 *   npm run bench:workflow                    # 1,000,000 on both drivers (embedded PostgreSQL started here)
 *   npm run bench:workflow -- 200000 pglite
 *   BENCH_DATABASE_URL=postgres://… npm run bench:workflow -- 1000000 postgres
 */
import { execFileSync } from 'node:child_process'
import { startEmbeddedPostgres } from '@vulnsync/db/embedded-postgres'

const count = Number(process.argv[2] ?? 1_000_000)
const drivers = (process.argv[3] ?? 'pglite,postgres').split(',')
const rounds = process.argv[4] ?? '20'

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
    process.stderr.write(`importing ${count.toLocaleString('en')} findings on ${d}, then the workflow cases …\n`)
    const out = execFileSync(
      process.execPath,
      ['apps/server/bin/run-ts.mjs', 'bench/workflow-worker.ts', d, String(count), pgUrl ?? '', rounds],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
    )
    results.push(JSON.parse(out.trim().split('\n').at(-1)!))
  }
} finally {
  await stopPg()
}

const fmt = (n: number) => Math.round(n).toLocaleString('en')
console.log(`\nworkflow benchmark, ${fmt(count)} findings, ${rounds} timed rounds per queue case`)
for (const r of results) {
  console.log(
    `${r.driver}: ${fmt(r.issues)} issues (import ${fmt(r.count / r.importSecs)} findings/s); bulk assignment of ${fmt(r.bulk.changed)} issues in ${r.bulk.secs.toFixed(1)} s (${fmt(r.bulk.changed / r.bulk.secs)} issues/s)`,
  )
  for (const [name, s] of Object.entries(r.stats) as [string, { medianMs: number; p95Ms: number; total: number }][])
    console.log(
      `  queue ${name.padEnd(13)} median ${s.medianMs.toFixed(0).padStart(6)} ms  p95 ${s.p95Ms.toFixed(0).padStart(6)} ms  (${(1000 / s.medianMs).toFixed(1)} pages/s; total ${fmt(s.total)})`,
    )
}
