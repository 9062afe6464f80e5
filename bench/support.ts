/** What the benchmarks share: the embedded PostgreSQL they start, their worker processes, the seeded tenant. */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createPgliteDb, createPostgresDb, type Db, migrate, type Queryable } from '@vulnsync/db'
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
      // BENCH_NODE_FLAGS='--heap-growing-percent=0': flags for the worker's node (0 restores V8's own heap growth)
      const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)
      const out = execFileSync(
        process.execPath,
        [...flags, 'apps/server/bin/run-ts.mjs', script, d, ...args, pgUrl ?? ''],
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

/** The database with every statement timed by its first words (BENCH_PROFILE). */
export function profiledDb(inner: Db, into: Map<string, { n: number; ms: number }>): Db {
  const add = (label: string, ms: number) => {
    const p = into.get(label) ?? { n: 0, ms: 0 }
    p.n++
    p.ms += ms
    into.set(label, p)
  }
  const labelOf = (sql: string) => sql.replace(/\s+/g, ' ').trim().slice(0, 90)
  const timed = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
    const t0 = performance.now()
    try {
      return await run()
    } finally {
      add(label, performance.now() - t0)
    }
  }
  const explained = new Set<string>()
  const wrap = (q: Queryable, inTx = false): Queryable => ({
    query: async (sql, params) => {
      const label = labelOf(sql)
      // BENCH_EXPLAIN=n (with BENCH_PROFILE=1): the plan of each heavy statement, once, on its n-th call, rolled back
      if (
        inTx &&
        process.env.BENCH_EXPLAIN &&
        !explained.has(label) &&
        (into.get(label)?.n ?? 0) === Number(process.env.BENCH_EXPLAIN)
      ) {
        explained.add(label)
        if (/^(INSERT|UPDATE|SELECT o\.id|SELECT i\.id)/.test(label)) {
          await q.exec('SAVEPOINT bench_explain')
          const plan = await q.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)
          await q.exec('ROLLBACK TO SAVEPOINT bench_explain')
          process.stderr.write(`\n--- ${label}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}\n`)
        }
      }
      return timed(label, () => q.query(sql, params))
    },
    exec: (sql) => timed(labelOf(sql), () => q.exec(sql)),
    copyFrom: (sql, rows) => timed(labelOf(sql), () => q.copyFrom(sql, rows)),
  })
  return {
    ...inner,
    ...wrap(inner),
    transaction: (fn) => timed('(transaction, whole)', () => inner.transaction((tx) => fn(wrap(tx, true)))),
  }
}

/** The statements profiledDb timed, the costliest first, to stderr. */
export const printProfile = (profile: Map<string, { n: number; ms: number }>, title: string) => {
  if (profile.size === 0) return
  process.stderr.write(`\n${title}\n`)
  for (const [label, p] of [...profile].sort((a, b) => b[1].ms - a[1].ms))
    process.stderr.write(`${Math.round(p.ms).toString().padStart(8)} ${String(p.n).padStart(6)}  ${label}\n`)
}

/** Runs fn in a transaction that is rolled back after (what it wrote leaves no trace); returns what fn returned. */
export const rolledBack = async <T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> => {
  class RollBack extends Error {}
  let out: T | undefined
  try {
    await db.transaction(async (tx) => {
      out = await fn(tx)
      throw new RollBack()
    })
  } catch (err) {
    if (!(err instanceof RollBack)) throw err
  }
  return out as T
}

/** The CPU seconds (user and system) process `pid` has used so far (Linux: /proc; null elsewhere or once it ended). */
function processCpuSecs(pid: number): number | null {
  try {
    return cpuOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return null
  }
}

/** utime + stime of a /proc/<pid>/stat line, in seconds (USER_HZ is 100 on Linux) */
const cpuOfStat = (stat: string) => {
  // the fields after the command: state is the first, utime the 12th, stime the 13th
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

/**
 * Starts counting the CPU seconds used from now on: this process's (user and system; on PGlite the database's too),
 * process `pid`'s (another one on this machine, such as the simulator) and, with `server`, every local PostgreSQL
 * process's (a lower bound: localPostgresCpuSecs). The function returned reads them; a count that cannot be read, or
 * was not asked for, is null.
 */
export const cpuMeter = (o: { pid?: number; server?: boolean } = {}) => {
  const self = process.cpuUsage()
  const other = o.pid === undefined ? null : processCpuSecs(o.pid)
  const server = o.server ? localPostgresCpuSecs() : null
  return () => {
    const used = process.cpuUsage(self)
    const otherNow = other === null ? null : processCpuSecs(o.pid!)
    const serverNow = server === null ? null : localPostgresCpuSecs()
    return {
      self: (used.user + used.system) / 1e6,
      other: other === null || otherNow === null ? null : otherNow - other,
      // by process: one that ended meanwhile (a backend whose connection closed) drops out of the reading, and must
      // not take its earlier time off the total; one that started meanwhile counts whole
      server:
        server === null || serverNow === null
          ? null
          : [...serverNow].reduce((sum, [pid, secs]) => {
              const before = server.get(pid) ?? 0
              // less than before: the pid was taken by a new process, whose time is all within the window
              return sum + (secs >= before ? secs - before : secs)
            }, 0),
    }
  }
}

/** Whether the PostgreSQL at `url` runs on this machine (the embedded one does), so its CPU can be read from /proc. */
export const isLocalServer = (url: string) => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname)

/**
 * The CPU seconds each PostgreSQL process on this machine has used so far, by pid (Linux: /proc; null elsewhere): the
 * server's time when it runs here, as the embedded one does. A process that ends before the next reading (an
 * autovacuum worker, a closed connection's backend) is not counted then, so the difference of two readings is a
 * lower bound.
 */
function localPostgresCpuSecs(): Map<string, number> | null {
  try {
    const secs = new Map<string, number>()
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue
      let stat: string
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      } catch {
        continue // ended meanwhile
      }
      if (!stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).startsWith('postgres')) continue
      secs.set(pid, cpuOfStat(stat))
    }
    return secs
  } catch {
    return null
  }
}

/**
 * What storing an import's result costs the database alone: the rows the first import left in each table it writes,
 * inserted in one statement into an empty copy of that table with the same indexes and constraints (`LIKE … INCLUDING
 * ALL`: no trigger, no foreign key), at the work_mem the engine sets. No engine, no JavaScript, no round trip per
 * batch: no import of the same result can spend less in the database. Seconds per table; the copies are dropped.
 */
export async function schemaSecs(db: Db): Promise<Record<string, number>> {
  // the tables an import writes rows to (its issues' search terms by the issues' trigger)
  const written = ['issues', 'issue_search_terms', 'occurrences', 'source_records', 'issue_sources', 'owner_contexts']
  const out: Record<string, number> = {}
  for (const table of written) {
    await db.exec(`CREATE TABLE bench_copy (LIKE ${table} INCLUDING ALL)`)
    out[table] = await db.transaction(async (tx) => {
      await tx.exec(`SET LOCAL work_mem = '64MB'`)
      const t0 = performance.now()
      await tx.exec(`INSERT INTO bench_copy OVERRIDING SYSTEM VALUE SELECT * FROM ${table}`)
      return (performance.now() - t0) / 1000
    })
    await db.exec('DROP TABLE bench_copy')
  }
  return out
}
