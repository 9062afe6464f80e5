import { canonicalRepoKey, type RepositoryRecord } from '@vulnsync/core'
import type { Db, Queryable } from './driver.ts'

export interface RepositoryBatchOutcome {
  created: number
  updated: number
  unchanged: number
}

/** Upserts one batch of an SCM connection's repositories seen by `runId`. */
export const writeRepositoryBatch = async (
  db: Db,
  a: { workspaceId: string; connectionId: string; runId: string; now: Date; rows: RepositoryRecord[] },
): Promise<RepositoryBatchOutcome> => {
  const byId = new Map<string, RepositoryRecord>()
  for (const r of a.rows) byId.set(r.externalId, r)
  const rows = [...byId.values()].map((r) => ({
    provider: r.provider,
    external_id: r.externalId,
    full_name: r.fullName,
    url_key: canonicalRepoKey(r.webUrl) ?? canonicalRepoKey(r.cloneUrl) ?? canonicalRepoKey(r.sshUrl),
    clone_url: r.cloneUrl ?? null,
    ssh_url: r.sshUrl ?? null,
    web_url: r.webUrl,
    default_branch: r.defaultBranch ?? null,
    archived: r.archived,
    visibility: r.visibility ?? null,
  }))
  if (rows.length === 0) return { created: 0, updated: 0, unchanged: 0 }
  const { rows: res } = await db.query<{ inserted: boolean; changed: boolean }>(
    `WITH x AS (SELECT * FROM jsonb_to_recordset($5::jsonb) AS x(provider text, external_id text, full_name text,
                  url_key text, clone_url text, ssh_url text, web_url text, default_branch text, archived boolean,
                  visibility text)),
          prev AS (SELECT r.external_id, (r.full_name, r.url_key, r.clone_url, r.ssh_url, r.web_url, r.default_branch,
                          r.archived, r.visibility, r.removed_at IS NULL) AS v
                     FROM repositories r JOIN x ON r.connection_id = $2 AND r.external_id = x.external_id)
     INSERT INTO repositories AS r (workspace_id, connection_id, provider, external_id, full_name, url_key, clone_url,
            ssh_url, web_url, default_branch, archived, visibility, first_seen_at, last_seen_at, last_seen_run_id)
     SELECT $1, $2, x.provider, x.external_id, x.full_name, x.url_key, x.clone_url, x.ssh_url, x.web_url,
            x.default_branch, x.archived, x.visibility, $3, $3, $4 FROM x
     ON CONFLICT (connection_id, external_id) DO UPDATE SET full_name = excluded.full_name, url_key = excluded.url_key,
            clone_url = excluded.clone_url, ssh_url = excluded.ssh_url, web_url = excluded.web_url,
            default_branch = excluded.default_branch, archived = excluded.archived, visibility = excluded.visibility,
            last_seen_at = excluded.last_seen_at, last_seen_run_id = excluded.last_seen_run_id, removed_at = NULL
     RETURNING (r.xmax = 0) AS inserted,
            COALESCE((SELECT prev.v FROM prev WHERE prev.external_id = r.external_id) IS DISTINCT FROM
              (r.full_name, r.url_key, r.clone_url, r.ssh_url, r.web_url, r.default_branch, r.archived, r.visibility, true), true) AS changed`,
    [a.workspaceId, a.connectionId, a.now, a.runId, JSON.stringify(rows)],
  )
  const created = res.filter((r) => r.inserted).length
  const updated = res.filter((r) => !r.inserted && r.changed).length
  return { created, updated, unchanged: res.length - created - updated }
}

export const planRepositoryRemoval = async (db: Queryable, connectionId: string, runId: string) => {
  const { rows } = await db.query<{ open: number; missing: number }>(
    `SELECT count(*)::int AS open, count(*) FILTER (WHERE last_seen_run_id IS DISTINCT FROM $2)::int AS missing
       FROM repositories WHERE connection_id = $1 AND removed_at IS NULL`,
    [connectionId, runId],
  )
  return rows[0] ?? { open: 0, missing: 0 }
}

/** A repository gone upstream is marked removed, never deleted: its issues stay. */
export const markRepositoriesRemoved = async (
  db: Queryable,
  connectionId: string,
  runId: string,
  now: Date,
): Promise<number> => {
  const { rowCount } = await db.query(
    `UPDATE repositories SET removed_at = $3 WHERE connection_id = $1 AND removed_at IS NULL AND last_seen_run_id IS DISTINCT FROM $2`,
    [connectionId, runId, now],
  )
  return rowCount
}

// ------------------------------------------------------------------ the read side: inventory, unmatched, mappings

const likeOf = (q: string | undefined) => (q ? `%${q.replace(/[%_\\]/g, '\\$&')}%` : null)

export interface RepositoryListRow {
  id: number
  provider: string
  external_id: string
  full_name: string
  web_url: string
  clone_url: string | null
  ssh_url: string | null
  default_branch: string | null
  archived: boolean
  visibility: string | null
  connection_id: string
  connection_name: string
  open_issues: number
  first_seen_at: Date
  last_seen_at: Date
  removed_at: Date | null
}

/** The repository inventory, paged by id, with the number of open issues of each. */
export const listRepositories = async (
  db: Queryable,
  workspaceId: string,
  o: { q?: string | undefined; includeRemoved: boolean; after: string; limit: number },
): Promise<{ rows: RepositoryListRow[]; more: boolean; total: number }> => {
  const like = likeOf(o.q)
  const { rows } = await db.query<RepositoryListRow>(
    `SELECT r.*, c.name AS connection_name,
            (SELECT count(*)::int FROM issues i WHERE i.repository_id = r.id AND i.status = 'open') AS open_issues
       FROM repositories r JOIN connections c ON c.id = r.connection_id
      WHERE r.workspace_id = $1 AND ($2::text IS NULL OR r.full_name ILIKE $2) AND ($3::boolean OR r.removed_at IS NULL)
        AND r.id > $4 ORDER BY r.id LIMIT $5`,
    [workspaceId, like, o.includeRemoved, o.after, o.limit + 1],
  )
  const total = (
    await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM repositories r WHERE r.workspace_id = $1 AND ($2::text IS NULL OR r.full_name ILIKE $2) AND ($3::boolean OR r.removed_at IS NULL)`,
      [workspaceId, like, o.includeRemoved],
    )
  ).rows[0]!.n
  return { rows: rows.slice(0, o.limit), more: rows.length > o.limit, total }
}

export interface UnmatchedRow {
  match_key: string
  connection_id: string
  kind: string
  connection_name: string
  target_kind: string
  display: string
  target_name: string
  findings: number
  cves: number
  last_seen_at: Date | null
}

/** Targets that findings wait on because they match no repository, most findings first. */
export const listUnmatched = async (db: Queryable, workspaceId: string, q?: string): Promise<UnmatchedRow[]> =>
  (
    await db.query<UnmatchedRow>(
      `SELECT o.match_key, o.connection_id, c.kind, c.name AS connection_name, min(o.target_kind) AS target_kind,
              min(o.match_display) AS display, min(o.target_name) AS target_name, count(*)::int AS findings,
              count(DISTINCT o.cve)::int AS cves, max(o.last_seen_at) AS last_seen_at
         FROM occurrences o JOIN connections c ON c.id = o.connection_id
        WHERE o.workspace_id = $1 AND o.repository_id IS NULL AND o.issue_id IS NULL AND o.state = 'present'
          AND ($2::text IS NULL OR o.match_display ILIKE $2 OR o.target_name ILIKE $2)
        GROUP BY o.match_key, o.connection_id, c.kind, c.name
        ORDER BY count(*) DESC, o.match_key LIMIT 1000`,
      [workspaceId, likeOf(q)],
    )
  ).rows

/** How many findings wait for a repository match (no issue yet), and on how many targets, per connection. */
export const waitingCounts = async (
  db: Queryable,
  workspaceId: string,
): Promise<{ connection_id: string; findings: number; targets: number }[]> =>
  (
    await db.query<{ connection_id: string; findings: number; targets: number }>(
      `SELECT o.connection_id, count(*)::int AS findings, count(DISTINCT o.match_key)::int AS targets
         FROM occurrences o
        WHERE o.workspace_id = $1 AND o.issue_id IS NULL AND o.state = 'present'
        GROUP BY o.connection_id`,
      [workspaceId],
    )
  ).rows

/** A live repository of the workspace by id, or null. */
export const getLiveRepository = async (db: Queryable, workspaceId: string, id: string) =>
  (
    await db.query<{ id: number; full_name: string }>(
      `SELECT id, full_name FROM repositories WHERE workspace_id = $1 AND id = $2 AND removed_at IS NULL`,
      [workspaceId, id],
    )
  ).rows[0] ?? null

/** Whether vulnsync issued this target key: some finding waits on it, or it was mapped before. */
export const isKnownMatchKey = async (db: Queryable, workspaceId: string, key: string): Promise<boolean> =>
  (
    await db.query(
      `SELECT 1 FROM occurrences WHERE workspace_id = $1 AND match_key = $2 AND repository_id IS NULL
        UNION ALL SELECT 1 FROM repo_mappings WHERE workspace_id = $1 AND match_key = $2 LIMIT 1`,
      [workspaceId, key],
    )
  ).rows.length > 0

export const saveMapping = (
  db: Queryable,
  m: { workspaceId: string; matchKey: string; repositoryId: string; createdBy: string },
) =>
  db.query(
    `INSERT INTO repo_mappings (workspace_id, match_key, repository_id, created_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (workspace_id, match_key) DO UPDATE SET repository_id = excluded.repository_id, created_by = excluded.created_by, created_at = now()`,
    [m.workspaceId, m.matchKey, m.repositoryId, m.createdBy],
  )

export const listMappings = async (db: Queryable, workspaceId: string) =>
  (
    await db.query<{
      match_key: string
      repository_id: number
      full_name: string
      created_by: string | null
      created_at: Date
    }>(
      `SELECT m.match_key, m.repository_id, r.full_name, m.created_by, m.created_at FROM repo_mappings m JOIN repositories r ON r.id = m.repository_id
        WHERE m.workspace_id = $1 ORDER BY m.created_at DESC`,
      [workspaceId],
    )
  ).rows
