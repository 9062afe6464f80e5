import type { Queryable } from './driver.ts'

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'partial' | 'cancelled' | 'held'
export type RunTrigger = 'initial' | 'scheduled' | 'manual' | 'rematch'

export interface RunCounts {
  fetched: number
  created: number
  updated: number
  unchanged: number
  reopened: number
  resolved: number
  unmatched: number
  skipped: Record<string, number>
  issuesCreated?: number
  issuesFixed?: number
  wouldResolve?: number
  /** occurrences taken out of the queue because their location is no longer selected */
  excluded?: number
}

export const emptyCounts = (): RunCounts => ({
  fetched: 0,
  created: 0,
  updated: 0,
  unchanged: 0,
  reopened: 0,
  resolved: 0,
  unmatched: 0,
  skipped: {},
  issuesCreated: 0,
  issuesFixed: 0,
})

/** The process running a run: enough for another process to prove it is gone (see runtime's recovery). */
export interface RunOwner {
  host: string
  pid: number
  /** the process's lease key (a PostgreSQL advisory lock it holds), or its instance id on PGlite */
  lease: number
  driver: 'pglite' | 'postgres'
}

export interface RunRow {
  id: string
  workspace_id: string
  connection_id: string
  trigger: RunTrigger
  status: RunStatus
  queued_at: Date
  started_at: Date | null
  finished_at: Date | null
  heartbeat_at: Date | null
  attempts: number
  progress: Record<string, unknown>
  counts: RunCounts
  cursor: unknown
  error: { code: string; message: string; hint?: string } | null
  incomplete_scopes: string[]
  complete_scopes: string[]
  owner: RunOwner | null
}

export const createRun = async (
  db: Queryable,
  a: { workspaceId: string; connectionId: string; trigger: RunTrigger },
): Promise<RunRow> => {
  const { rows } = await db.query<RunRow>(
    `INSERT INTO sync_runs (workspace_id, connection_id, trigger, status, counts) VALUES ($1, $2, $3, 'queued', $4) RETURNING *`,
    [a.workspaceId, a.connectionId, a.trigger, JSON.stringify(emptyCounts())],
  )
  return rows[0]!
}

export const getRun = async (db: Queryable, id: string): Promise<RunRow | null> => {
  const { rows } = await db.query<RunRow>(`SELECT * FROM sync_runs WHERE id = $1`, [id])
  return rows[0] ?? null
}

/** Marks the run running by `owner`; refuses (returns null) when another run of the connection is running. */
export const startRun = async (
  db: Queryable,
  id: string,
  now: Date,
  owner: RunOwner | null = null,
): Promise<RunRow | null> => {
  try {
    const { rows } = await db.query<RunRow>(
      `UPDATE sync_runs SET status = 'running', started_at = COALESCE(started_at, $2), heartbeat_at = $2,
              attempts = attempts + 1, error = NULL, owner = $3
        WHERE id = $1 AND status = 'queued' RETURNING *`,
      [id, now, owner ? JSON.stringify(owner) : null],
    )
    return rows[0] ?? null
  } catch (err: any) {
    if (err?.code === '23505' || /sync_runs_one_active/.test(String(err?.message))) return null
    throw err
  }
}

export const saveRunState = async (
  db: Queryable,
  id: string,
  s: {
    counts?: RunCounts
    progress?: Record<string, unknown>
    cursor?: unknown
    incompleteScopes?: string[]
    completeScopes?: string[]
    now: Date
  },
): Promise<void> => {
  await db.query(
    `UPDATE sync_runs SET counts = COALESCE($2::jsonb, counts), progress = COALESCE($3::jsonb, progress),
            cursor = CASE WHEN $4::boolean THEN $5::jsonb ELSE cursor END,
            incomplete_scopes = COALESCE($6::jsonb, incomplete_scopes), heartbeat_at = $7,
            complete_scopes = COALESCE($8::jsonb, complete_scopes)
      WHERE id = $1`,
    [
      id,
      s.counts ? JSON.stringify(s.counts) : null,
      s.progress ? JSON.stringify(s.progress) : null,
      s.cursor !== undefined,
      s.cursor === undefined ? null : JSON.stringify(s.cursor),
      s.incompleteScopes ? JSON.stringify(s.incompleteScopes) : null,
      s.now,
      s.completeScopes ? JSON.stringify(s.completeScopes) : null,
    ],
  )
}

export const finishRun = async (
  db: Queryable,
  id: string,
  f: {
    status: RunStatus
    counts: RunCounts
    progress?: Record<string, unknown>
    error?: RunRow['error']
    now: Date
    keepCursor?: boolean
  },
): Promise<void> => {
  await db.query(
    `UPDATE sync_runs SET status = $2, counts = $3, progress = COALESCE($4::jsonb, progress), error = $5,
            finished_at = CASE WHEN $2 IN ('queued') THEN NULL ELSE $6::timestamptz END, heartbeat_at = $6,
            cursor = CASE WHEN $7::boolean THEN cursor ELSE NULL END
      WHERE id = $1`,
    [
      id,
      f.status,
      JSON.stringify(f.counts),
      f.progress ? JSON.stringify(f.progress) : null,
      f.error ? JSON.stringify(f.error) : null,
      f.now,
      f.keepCursor ?? false,
    ],
  )
}

// ------------------------------------------------------------------ the read side

/** The newest run of each connection given. */
export const lastRunsOf = async (db: Queryable, connectionIds: string[]): Promise<Map<string, RunRow>> => {
  if (connectionIds.length === 0) return new Map()
  const { rows } = await db.query<RunRow>(
    `SELECT DISTINCT ON (connection_id) * FROM sync_runs WHERE connection_id = ANY($1::uuid[]) ORDER BY connection_id, queued_at DESC`,
    [connectionIds],
  )
  return new Map(rows.map((r) => [r.connection_id, r]))
}

/** Runs of a workspace, newest first. */
export const listRuns = async (
  db: Queryable,
  workspaceId: string,
  f: { connectionId?: string | undefined; status?: RunStatus | undefined; limit: number },
): Promise<RunRow[]> =>
  (
    await db.query<RunRow>(
      `SELECT * FROM sync_runs WHERE workspace_id = $1 AND ($2::uuid IS NULL OR connection_id = $2) AND ($3::text IS NULL OR status = $3)
        ORDER BY queued_at DESC LIMIT $4`,
      [workspaceId, f.connectionId ?? null, f.status ?? null, f.limit],
    )
  ).rows

/** The queued run of a connection that no worker has started yet, if any. */
export const findQueuedRun = async (db: Queryable, connectionId: string): Promise<RunRow | null> =>
  (
    await db.query<RunRow>(
      `SELECT * FROM sync_runs WHERE connection_id = $1 AND status = 'queued' AND started_at IS NULL ORDER BY queued_at LIMIT 1`,
      [connectionId],
    )
  ).rows[0] ?? null

/** Whether a run of the connection newer than `than` succeeded, is held or is running. */
export const hasNewerRun = async (db: Queryable, run: RunRow): Promise<boolean> =>
  (
    await db.query(
      `SELECT 1 FROM sync_runs WHERE connection_id = $1 AND queued_at > $2 AND status IN ('succeeded', 'held', 'running') LIMIT 1`,
      [run.connection_id, run.queued_at],
    )
  ).rows.length > 0

/** A disconnected connection's queued runs end as cancelled. */
export const cancelQueuedRuns = (db: Queryable, connectionId: string) =>
  db.query(
    `UPDATE sync_runs SET status = 'cancelled', finished_at = now(), error = '{"code":"disconnected","message":"the connection was removed"}'::jsonb
      WHERE connection_id = $1 AND status = 'queued'`,
    [connectionId],
  )
