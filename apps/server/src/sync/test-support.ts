import type { RepositoryRecord } from '@vulnsync/core'
import { createRun, type Db, writeRepositoryBatch } from '@vulnsync/db'
import type { ConnectionForRun } from './engine.ts'

/** A logger that drops everything, for engine tests and benchmarks. */
export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} }
/** An abort signal that never fires: a run nobody cancels. */
export const neverAborted = new AbortController().signal

/** Seeds a workspace and connections straight into the database, for engine tests and benchmarks. */
export const seedWorkspace = async (db: Db, name = 'test'): Promise<string> => {
  const { rows } = await db.query<{ id: string }>(`INSERT INTO workspaces (name) VALUES ($1) RETURNING id`, [name])
  return rows[0]!.id
}

export const seedConnection = async (
  db: Db,
  workspaceId: string,
  o: { kind?: string; name?: string; locations?: string[] | null } = {},
): Promise<ConnectionForRun> => {
  const kind = o.kind ?? 'test'
  const name = o.name ?? `${kind}-${Math.random().toString(36).slice(2, 8)}`
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO connections (workspace_id, kind, name, config, secrets_enc, locations) VALUES ($1, $2, $3, '{}', 'x', $4) RETURNING id`,
    [workspaceId, kind, name, o.locations ? JSON.stringify(o.locations) : null],
  )
  return {
    id: rows[0]!.id,
    workspaceId,
    kind,
    name,
    config: {},
    secrets: { token: 't' },
    locations: o.locations ?? null,
  }
}

export const newRun = async (db: Db, c: ConnectionForRun, trigger: 'initial' | 'manual' | 'scheduled' = 'manual') =>
  (await createRun(db, { workspaceId: c.workspaceId, connectionId: c.id, trigger })).id

export const seedRepositories = async (db: Db, workspaceId: string, repos: Partial<RepositoryRecord>[]) => {
  const scm = await seedConnection(db, workspaceId, {
    kind: 'github',
    name: `scm-${Math.random().toString(36).slice(2, 8)}`,
  })
  const runId = await newRun(db, scm)
  await writeRepositoryBatch(db, {
    workspaceId,
    connectionId: scm.id,
    runId,
    now: new Date(),
    rows: repos.map((r, i) => ({
      provider: 'github',
      externalId: r.externalId ?? String(1000 + i),
      fullName: r.fullName ?? `acme/repo-${i}`,
      webUrl: r.webUrl ?? `https://github.com/${r.fullName ?? `acme/repo-${i}`}`,
      cloneUrl: r.cloneUrl,
      archived: r.archived ?? false,
      ...r,
    })),
  })
  const { rows } = await db.query<{ id: number; full_name: string }>(
    `SELECT id, full_name FROM repositories WHERE connection_id = $1`,
    [scm.id],
  )
  return { scm, repos: rows }
}
