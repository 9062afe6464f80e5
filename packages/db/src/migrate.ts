import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Db } from './driver.ts'

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations')

export interface Migration {
  version: number
  name: string
  sql: string
}

export const loadMigrations = (dir = MIGRATIONS_DIR): Migration[] =>
  readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f.slice(5, -4), sql: readFileSync(join(dir, f), 'utf8') }))

/**
 * Applies the migrations not yet applied, each in its own transaction, under an advisory lock so two processes
 * starting at once do not race. Forward-only: a database newer than this code is refused with a clear message.
 */
export const migrate = async (
  db: Db,
  migrations = loadMigrations(),
): Promise<{ applied: number[]; current: number }> => {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
  const applied: number[] = []
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(727001)')
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
    const done = new Set(rows.map((r) => r.version))
    const newest = migrations.at(-1)?.version ?? 0
    const dbNewest = rows.at(-1)?.version ?? 0
    if (dbNewest > newest)
      throw new Error(
        `the database is at schema version ${dbNewest}, newer than this vulnsync (${newest}): upgrade vulnsync`,
      )
    for (const m of migrations) {
      if (done.has(m.version)) continue
      await tx.exec(m.sql)
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name])
      applied.push(m.version)
    }
  })
  const current = migrations.at(-1)?.version ?? 0
  return { applied, current }
}
