/** What the benchmarks share: the embedded PostgreSQL they start, their worker processes, the seeded tenant. */
import { execFileSync } from 'node:child_process'
import { createPgliteDb, createPostgresDb, type Db, migrate } from '@vulnsync/db'
import { startEmbeddedPostgres } from '@vulnsync/db/embedded-postgres'
import { seedConnection, seedRepositories, seedWorkspace } from '../apps/server/src/sync/test-support.ts'

/**
 * Runs a worker script once per driver, each in its own process (so its peak RSS is its own), against BENCH_DATABASE_URL
 * or an embedded PostgreSQL started here; returns each worker's last stdout line, parsed.
 */
export const runBenchWorkers = async (script: string, drivers: string[], args: string[]): Promise<any[]> => {
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
      process.stderr.write(`${script} on ${d} …\n`)
      const out = execFileSync(process.execPath, ['apps/server/bin/run-ts.mjs', script, d, ...args, pgUrl ?? ''], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      })
      results.push(JSON.parse(out.trim().split('\n').at(-1)!))
    }
  } finally {
    await stopPg()
  }
  return results
}

/** A migrated database: PostgreSQL at `url`, or PGlite on disk in `dataDir` (as `vulnsync serve` runs it). */
export const openBenchDb = async (
  driver: string,
  url: string | undefined,
  dataDir: string | undefined,
): Promise<Db> => {
  // BENCH_PGLITE_SETTINGS='{"shared_buffers":"32MB"}': server settings for PGlite (what they do to RSS and speed)
  const settings = JSON.parse(process.env.BENCH_PGLITE_SETTINGS || 'null') ?? undefined
  const db =
    driver === 'postgres'
      ? await createPostgresDb(url!, { max: 4 })
      : await createPgliteDb(dataDir, settings ? { settings } : {})
  await migrate(db)
  return db
}

/** A workspace with `repos` repositories bench-org/repo-0 … and one connection. */
export const seedBenchTenant = async (db: Db, repos: number) => {
  const ws = await seedWorkspace(db)
  await seedRepositories(
    db,
    ws,
    Array.from({ length: repos }, (_, i) => ({ fullName: `bench-org/repo-${i}`, externalId: String(i) })),
  )
  return { ws, conn: await seedConnection(db, ws, { name: 'bench' }) }
}
