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
  id: number
  actor: string
  action: string
  target: string | null
  detail: unknown
  at: Date
}

export const listAudit = async (db: Queryable, workspaceId: string, limit: number): Promise<AuditRow[]> =>
  (
    await db.query<AuditRow>(
      `SELECT id, actor, action, target, detail, at FROM audit_events WHERE workspace_id = $1 ORDER BY at DESC, id DESC LIMIT $2`,
      [workspaceId, limit],
    )
  ).rows
