import { DEFAULT_SLA_POLICY, type SlaPolicy } from '@vulnsync/core'
import type { Queryable } from './driver.ts'

/**
 * Workspace policies (stored as validated JSON documents) and the issue timeline (append-only events). Every
 * workflow change writes its events here; the audit log reads them too.
 */

export const SLA_POLICY = 'sla'
/** the name the workspace's priority policy is saved under (priority-store.ts) */
export const PRIORITY_POLICY = 'priority'

/** Who caused an event. */
export interface Actor {
  name: string
  kind: 'user' | 'token' | 'sync' | 'job' | 'system' | 'jira' | 'pull_request'
}

export const SYNC_ACTOR: Actor = { name: 'sync', kind: 'sync' }

/**
 * Locks issues for a change computed from what they hold now, in id order (so two transactions that lock
 * overlapping sets never wait on each other in a cycle). Whoever reads an issue (or its occurrences) to write it
 * back takes this first: a concurrent writer of the same issue (another connection's sync batch, a user's change,
 * a decision, a fix pull request) then waits for this transaction, or this one for it, and the statements after
 * read what it committed instead of a version its update is about to replace. Non-key columns only: rows that
 * reference the issue (events, sources) can still be inserted meanwhile.
 */
export const lockIssueRows = async (tx: Queryable, issueIds: number[]): Promise<void> => {
  if (issueIds.length > 0)
    await tx.query(`SELECT 1 FROM issues WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`, [issueIds])
}

/** Ids ascending, for chunked changes: chunk after chunk then locks in one global order too (lockIssueRows). */
export const ascendingIds = (ids: Iterable<number>): number[] => [...new Set(ids)].sort((a, b) => a - b)

export interface IssueEventInput {
  issue_id: number
  workspace_id: string
  type: string
  detail: Record<string, unknown>
}

/** Appends events to the timeline of their issues, in one statement. */
export const insertIssueEvents = async (
  db: Queryable,
  events: IssueEventInput[],
  actor: Actor,
  o: { at?: Date; bulkId?: string | null } = {},
): Promise<void> => {
  if (events.length === 0) return
  await db.query(
    `INSERT INTO issue_events (workspace_id, issue_id, at, actor, actor_kind, type, detail, bulk_id)
     SELECT x.workspace_id, x.issue_id, COALESCE($2::timestamptz, now()), $3, $4, x.type, x.detail, $5::uuid
       FROM jsonb_to_recordset($1::jsonb) AS x(workspace_id uuid, issue_id bigint, type text, detail jsonb)`,
    [JSON.stringify(events), o.at ?? null, actor.name, actor.kind, o.bulkId ?? null],
  )
}

export interface IssueEventRow {
  id: number
  at: Date
  actor: string
  actor_kind: Actor['kind']
  type: string
  detail: Record<string, unknown>
  bulk_id: string | null
}

export const listIssueEvents = async (db: Queryable, issueId: number): Promise<IssueEventRow[]> =>
  (
    await db.query<IssueEventRow>(
      `SELECT id, at, actor, actor_kind, type, detail, bulk_id FROM issue_events WHERE issue_id = $1 ORDER BY at, id`,
      [issueId],
    )
  ).rows

/** A policy document of the workspace, or null when none was saved. */
export const getPolicy = async <T>(db: Queryable, workspaceId: string, name: string): Promise<T | null> =>
  ((await db.query<{ body: T }>(`SELECT body FROM policies WHERE workspace_id = $1 AND name = $2`, [workspaceId, name]))
    .rows[0]?.body ?? null) as T | null

export const savePolicy = (db: Queryable, workspaceId: string, name: string, body: unknown, by: string) =>
  db.query(
    `INSERT INTO policies (workspace_id, name, body, updated_at, updated_by) VALUES ($1, $2, $3, now(), $4)
     ON CONFLICT (workspace_id, name) DO UPDATE SET body = excluded.body, updated_at = now(), updated_by = excluded.updated_by`,
    [workspaceId, name, JSON.stringify(body), by],
  )

/** The workspace's SLA policy: the saved one over the defaults. */
export const getSlaPolicy = async (db: Queryable, workspaceId: string): Promise<SlaPolicy> => {
  const saved = await getPolicy<Partial<SlaPolicy>>(db, workspaceId, SLA_POLICY)
  return { ...DEFAULT_SLA_POLICY, ...(saved ?? {}), days: { ...DEFAULT_SLA_POLICY.days, ...(saved?.days ?? {}) } }
}

/** The SLA policies of several workspaces (ingest batches touch one; rematch may touch more). */
export const getSlaPolicies = async (db: Queryable, workspaceIds: string[]): Promise<Map<string, SlaPolicy>> => {
  const out = new Map<string, SlaPolicy>()
  for (const ws of new Set(workspaceIds)) out.set(ws, await getSlaPolicy(db, ws))
  return out
}
