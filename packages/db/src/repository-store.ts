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
