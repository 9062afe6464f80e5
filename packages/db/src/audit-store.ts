import type { Queryable } from './driver.ts'

/** The audit log: who did what, when. Append-only. */
export const audit = (
  db: Queryable,
  e: { workspaceId: string | null; actor: string; action: string; target?: string; detail?: unknown },
) =>
  db.query(`INSERT INTO audit_events (workspace_id, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)`, [
    e.workspaceId,
    e.actor,
    e.action,
    e.target ?? null,
    JSON.stringify(e.detail ?? {}),
  ])

export interface AuditRow {
  /** `a<n>` for an administrative event, `i<n>` for an issue event */
  id: string
  actor: string
  action: string
  target: string | null
  detail: unknown
  at: Date
}

/**
 * The audit log, newest first: administrative events, and every change to an issue (its timeline events, seen
 * workspace-wide as `issue.<type>` with the issue id as the target).
 */
export const listAudit = async (db: Queryable, workspaceId: string, limit: number): Promise<AuditRow[]> =>
  (
    await db.query<AuditRow>(
      `SELECT * FROM (
         (SELECT 'a' || id AS id, actor, action, target, detail, at FROM audit_events
           WHERE workspace_id = $1 ORDER BY at DESC, id DESC LIMIT $2)
         UNION ALL
         (SELECT 'i' || id, actor, 'issue.' || type, issue_id::text, detail, at FROM issue_events
           WHERE workspace_id = $1 ORDER BY at DESC, id DESC LIMIT $2)) e
       ORDER BY at DESC, id DESC LIMIT $2`,
      [workspaceId, limit],
    )
  ).rows
