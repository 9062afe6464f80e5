/// <reference path="./pg-copy-streams.d.ts" />
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import pg from 'pg'
import { from as copyFromStdin } from 'pg-copy-streams'

export interface QueryResult<T> {
  rows: T[]
  rowCount: number
}

export interface Queryable {
  query<T = any>(sql: string, params?: unknown[]): Promise<QueryResult<T>>
  /** several statements, no parameters */
  exec(sql: string): Promise<void>
  /**
   * `COPY table (columns) FROM STDIN` with `rows` (arrays of values in the columns' order: objects become JSON, dates
   * ISO strings), sent in COPY's text format (see copyChunks): the fastest way in for many rows, on both drivers
   * (PGlite reads them as a blob). Returns the rows copied. `rows` is read once, as the COPY goes: a generator that
   * makes each row when it is read keeps no batch of rows alive (ADR 0014, "records as text").
   */
  copyFrom(sql: string, rows: Iterable<unknown[]>): Promise<number>
}

/** One value in COPY's text format: \N for null, backslash escapes for the characters that delimit. */
const copyValue = (v: unknown): string => {
  if (v === null || v === undefined) return '\\N'
  const s =
    typeof v === 'string'
      ? v
      : v instanceof Date
        ? v.toISOString()
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v)
  return /[\\\n\r\t]/.test(s) ? s.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]!) : s
}
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** about this many characters of COPY text a chunk: 32 KB of bytes, at most 96 KB (three bytes a character) */
const COPY_CHUNK_CHARS = 32 * 1024

/**
 * Rows in COPY's text format, a line each, as buffers of about 32 KB. Small buffers come from memory the allocator
 * reuses; a batch's whole text as one string and one buffer (megabytes each) was new memory every time, which costs
 * far more than writing it here (ADR 0014, "Update, 2026-12-04 (fresh memory)": 51 against 16 ms for 12 MB of rows).
 */
export function* copyChunks(rows: Iterable<unknown[]>): Generator<Buffer<ArrayBuffer>> {
  let text = ''
  for (const r of rows) {
    text += `${r.map(copyValue).join('\t')}\n`
    if (text.length >= COPY_CHUNK_CHARS) {
      yield Buffer.from(text)
      text = ''
    }
  }
  if (text) yield Buffer.from(text)
}

const pgliteCopySql = (sql: string) => {
  if (!/ FROM STDIN$/i.test(sql)) throw new Error(`copyFrom expects COPY … FROM STDIN: ${sql}`)
  return `${sql.slice(0, -' FROM STDIN'.length)} FROM '/dev/blob'`
}

const pgCopy = async (client: pg.PoolClient | pg.Client, sql: string, rows: Iterable<unknown[]>): Promise<number> => {
  const stream = client.query(copyFromStdin(sql))
  const done = new Promise<void>((resolve, reject) => {
    stream.on('error', reject)
    stream.on('finish', resolve)
  })
  // awaited below; an error before then must not be reported as unhandled meanwhile
  done.catch(() => {})
  try {
    // the next chunk is made while the socket sends the ones before it (about 16 KB wait in the stream at most)
    for (const chunk of copyChunks(rows)) if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done])
  } catch (err) {
    // a value that cannot be written (a cyclic object): the server is told the COPY failed, the connection stays usable
    stream.destroy(err as Error)
    await done.catch(() => {})
    throw err
  }
  stream.end()
  await done
  return stream.rowCount ?? 0
}

export interface Db extends Queryable {
  readonly driver: 'pglite' | 'postgres'
  /** runs fn in one transaction on one connection; never call the outer Db inside fn (PGlite would deadlock) */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  /** what pg-boss's `db` option needs */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }>
  /**
   * Holds a session-level advisory lock for as long as this process lives (a lease other processes can test with
   * `pg_try_advisory_xact_lock`): on PostgreSQL on a connection of its own, re-taken if that connection drops; on
   * PGlite, where only this process can open the database, there is nobody to tell and nothing is held.
   */
  holdLease(classId: number, objId: number): Promise<{ release(): Promise<void> }>
  /** whether some process holds that lease now; false proves its holder is gone */
  leaseHeld(classId: number, objId: number): Promise<boolean>
  close(): Promise<void>
}

// bigint (int8) columns are our ids and counters: well below 2^53, so read them as numbers on both drivers.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10))
pg.types.setTypeParser(1700, (v) => Number.parseFloat(v))

/** PGlite: PostgreSQL compiled to WASM, in this process; `dataDir` undefined = in memory. */
/** SQLSTATEs after which a transaction can run again as it was: PostgreSQL broke a deadlock by aborting it, or a
 * serialization failure */
const RETRYABLE = new Set(['40P01', '40001'])

/**
 * Runs fn in a transaction, and again (up to `attempts` times in all) when PostgreSQL aborted it to break a deadlock
 * with another transaction. Only for fn that does nothing but database work and keeps no state across attempts: the
 * aborted attempt left nothing behind.
 */
export const transactionRetried = async <T>(db: Db, fn: (tx: Queryable) => Promise<T>, attempts = 3): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn)
    } catch (err) {
      if (attempt >= attempts || !RETRYABLE.has((err as { code?: string } | null)?.code ?? '')) throw err
    }
  }
}

/**
 * Creates a new PGlite data directory (initdb) in a child process that ends when it is done. initdb grows PGlite's
 * WebAssembly memory to about 800 MB, and a process never gives such memory back: run in the process that then
 * serves, it stayed resident for as long as vulnsync ran (ADR 0014, "Update, 2026-12-04: PGlite's memory").
 */
const initPgliteDataDir = async (dataDir: string) => {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite')
  // PGlite rejects with Emscripten's file-system errors too, which carry an errno and no message
  const script = `require(${JSON.stringify(entry)}).PGlite.create({ dataDir: process.argv[1] }).then((db) => db.close(),
    (e) => { process.stderr.write(e?.message || (e?.errno ? 'file system error ' + e.errno : String(e))); process.exitCode = 1 })`
  try {
    await promisify(execFile)(process.execPath, ['-e', script, dataDir], { maxBuffer: 1 << 20 })
  } catch (e) {
    const detail = (e as { stderr?: string }).stderr?.trim() || (e as Error).message
    throw new Error(
      `could not create the embedded database in ${dataDir} (${detail}): use an empty directory this user can write to`,
    )
  }
}

/** Whether initdb has made a database in this directory (its PG_VERSION file is there). */
export const hasPgliteDatabase = (dataDir: string): boolean => existsSync(join(dataDir, 'PG_VERSION'))

export const createPgliteDb = async (dataDir?: string, o: { settings?: Record<string, string> } = {}): Promise<Db> => {
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true })
    if (!hasPgliteDatabase(dataDir)) await initPgliteDataDir(dataDir)
  }
  const settings = Object.entries(o.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`])
  // pg_trgm: the search terms' trigram index (migrations 0011, 0015); PGlite loads an extension only when passed here
  const lite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    extensions: { pg_trgm },
    ...(settings.length > 0 ? { startParams: [...(PGlite as any).defaultStartParams, ...settings] } : {}),
  })
  // only this process can open this database, so the leases held in it are exactly the ones held here
  const leases = new Set<string>()
  const wrap = (q: { query: PGlite['query']; exec: PGlite['exec'] }): Queryable => ({
    query: async <T>(sql: string, params?: unknown[]) => {
      const r = await q.query<T>(sql, params as any[])
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length }
    },
    exec: async (sql: string) => {
      await q.exec(sql)
    },
    copyFrom: async (sql: string, rows: Iterable<unknown[]>) => {
      const r = await q.query(pgliteCopySql(sql), [], { blob: new Blob([...copyChunks(rows)]) })
      return r.affectedRows ?? 0
    },
  })
  const base = wrap(lite)
  return {
    driver: 'pglite',
    ...base,
    transaction: (fn) => lite.transaction((tx) => fn(wrap(tx as any))),
    executeSql: async (text, values) => {
      if (!values || values.length === 0) {
        const results = await lite.exec(text)
        return { rows: results.at(-1)?.rows ?? [] }
      }
      const r = await lite.query(text, values as any[])
      return { rows: r.rows }
    },
    holdLease: async (classId, objId) => {
      leases.add(`${classId}:${objId}`)
      return { release: async () => void leases.delete(`${classId}:${objId}`) }
    },
    leaseHeld: async (classId, objId) => leases.has(`${classId}:${objId}`),
    close: async () => {
      if (!lite.closed) await lite.close()
    },
  }
}

/** node-postgres against a PostgreSQL server (DATABASE_URL). */
export const createPostgresDb = async (connectionString: string, opts: { max?: number } = {}): Promise<Db> => {
  const pool = new pg.Pool({ connectionString, max: opts.max ?? 10 })
  const leases = new Set<{ release(): Promise<void> }>()
  pool.on('error', () => {}) // an idle client's error must not crash the process; the next query reports it
  await pool.query('select 1')
  const wrap = (c: pg.Pool | pg.PoolClient): Queryable => ({
    query: async <T>(sql: string, params?: unknown[]) => {
      const r = await c.query(sql, params as any[])
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 }
    },
    exec: async (sql: string) => {
      await c.query(sql)
    },
    copyFrom: async (sql: string, rows: Iterable<unknown[]>) => {
      if (!(c instanceof pg.Pool)) return pgCopy(c, sql, rows)
      const client = await c.connect()
      try {
        return await pgCopy(client, sql, rows)
      } finally {
        client.release()
      }
    },
  })
  return {
    driver: 'postgres',
    ...wrap(pool),
    transaction: async (fn) => {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const out = await fn(wrap(client))
        await client.query('COMMIT')
        return out
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },
    executeSql: async (text, values) => {
      const r = await pool.query(text, values as any[])
      const last = Array.isArray(r) ? r.at(-1) : r
      return { rows: last?.rows ?? [] }
    },
    holdLease: async (classId, objId) => {
      const lease = await holdPostgresLease(connectionString, classId, objId)
      leases.add(lease)
      return {
        release: async () => {
          leases.delete(lease)
          await lease.release()
        },
      }
    },
    leaseHeld: async (classId, objId) => {
      const client = await pool.connect()
      try {
        // a transaction-level try-lock is released at once; it fails only while a session holds the lease
        await client.query('BEGIN')
        const r = await client.query('SELECT pg_try_advisory_xact_lock($1, $2) AS free', [classId, objId])
        await client.query('COMMIT')
        return !r.rows[0].free
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },
    close: async () => {
      await Promise.all([...leases].map((l) => l.release()))
      await pool.end()
    },
  }
}

const holdPostgresLease = async (connectionString: string, classId: number, objId: number) => {
  let released = false
  let client: pg.Client | undefined
  const take = async (): Promise<void> => {
    const c = new pg.Client({ connectionString })
    c.on('error', () => {
      // the connection dropped, and the lock with it: take it again, or another process may think this one died
      if (released) return
      c.end().catch(() => {})
      const retry = () => void take().catch(() => setTimeout(retry, 2_000).unref())
      retry()
    })
    await c.connect()
    await c.query('SELECT pg_advisory_lock($1, $2)', [classId, objId])
    client = c
  }
  await take()
  return {
    release: async () => {
      released = true
      await client?.end().catch(() => {})
    },
  }
}

export const openDb = (o: { databaseUrl?: string | undefined; dataDir?: string | undefined }): Promise<Db> =>
  o.databaseUrl ? createPostgresDb(o.databaseUrl) : createPgliteDb(o.dataDir)
