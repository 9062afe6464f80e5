import { type DecisionKind, draftsOf, type IssueStatus, type Stage, transition, type WorkChange } from '@vulnsync/core'
import { type Actor, InputError, type IssueEventInput, insertIssueEvents, type Queryable } from '@vulnsync/db'

/** What a person may change on issues at once: assignee, stage, a comment (a decision has its own module). */
export interface IssueChange {
  /** a user id, or null to unassign */
  assigneeId?: string | null | undefined
  stage?: Stage | undefined
  comment?: string | undefined
}

interface Current {
  id: number
  status: IssueStatus
  stage: Stage
  assignee_id: string | null
  decision_kind: DecisionKind | null
}

export const MAX_COMMENT = 10_000

/** An active user of the workspace by id, or a 422 naming the field. */
export const assertAssignee = async (db: Queryable, workspaceId: string, userId: string, field = 'assigneeId') => {
  const u = (
    await db.query<{ id: string; username: string }>(
      `SELECT id, username FROM users WHERE workspace_id = $1 AND id = $2 AND disabled_at IS NULL`,
      [workspaceId, userId],
    )
  ).rows[0]
  if (!u)
    throw new InputError(
      'invalid_request',
      `${field}: no active user ${userId} in this workspace`,
      'pick a user from GET /api/v1/users/assignable',
      422,
    )
  return u
}

/** Loads issues for a change, locked for the transaction; every id must exist. */
export const lockIssues = async (tx: Queryable, workspaceId: string, ids: string[]): Promise<Current[]> => {
  const out: Current[] = []
  // ascending ids (as digit strings: shorter first), so chunk after chunk locks in the one order every writer of
  // issues uses (lockIssueRows, ADR 0015) and two bulk changes over the same issues never wait in a cycle
  const sorted = [...ids].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0))
  for (let k = 0; k < sorted.length; k += 10_000) {
    const chunk = sorted.slice(k, k + 10_000)
    const { rows } = await tx.query<Current>(
      `SELECT i.id, i.status, i.stage, i.assignee_id, d.kind AS decision_kind
         FROM issues i LEFT JOIN decisions d ON d.id = i.decision_id
        WHERE i.workspace_id = $1 AND i.id = ANY($2::bigint[]) ORDER BY i.id FOR UPDATE OF i`,
      [workspaceId, chunk],
    )
    if (rows.length < new Set(chunk).size) {
      const found = new Set(rows.map((r) => String(r.id)))
      const missing = chunk.filter((id) => !found.has(id))
      throw new InputError(
        'invalid_request',
        `ids: ${missing.length} unknown issue id(s), e.g. ${missing.slice(0, 5).join(', ')}`,
        'use ids from GET /api/v1/vulnerabilities; nothing was changed',
        422,
      )
    }
    out.push(...rows)
  }
  return out
}

/**
 * Applies one change to issues, all or nothing, inside the caller's transaction: a new assignee (validated), a stage
 * (through the transition function: an issue that is not open refuses a stage, and then nothing changes), a comment.
 * One timeline entry per issue and change, sharing the bulk id when there is one. Returns how many issues changed.
 */
export const changeIssues = async (
  tx: Queryable,
  workspaceId: string,
  issues: Current[],
  change: IssueChange,
  actor: Actor,
  o: { now: Date; bulkId?: string | null },
): Promise<number> => {
  if (change.comment !== undefined && change.comment.length > MAX_COMMENT)
    throw new InputError(
      'invalid_request',
      `body: a comment is at most ${MAX_COMMENT.toLocaleString('en')} characters (this one has ${change.comment.length.toLocaleString('en')})`,
      'shorten it, or link to a longer document',
      422,
    )
  let assignee: { id: string; username: string } | null | undefined
  if (change.assigneeId !== undefined)
    assignee = change.assigneeId === null ? null : await assertAssignee(tx, workspaceId, change.assigneeId)
  const updates: { id: number; assignee_id: string | null; stage: Stage }[] = []
  const events: IssueEventInput[] = []
  const refused = new Map<string, number>()
  for (const i of issues) {
    const base = { issue_id: i.id, workspace_id: workspaceId }
    let stage = i.stage
    let assigneeId = i.assignee_id
    if (change.stage !== undefined && change.stage !== i.stage) {
      const t = transition(
        { status: i.status, stage: i.stage, decision: i.decision_kind },
        { type: 'set_stage', stage: change.stage },
      )
      if (!t.ok) {
        refused.set(t.message, (refused.get(t.message) ?? 0) + 1)
        continue
      }
      stage = t.state.stage
      for (const d of draftsOf(t.changes as WorkChange[])) events.push({ ...base, type: d.type, detail: { ...d } })
    }
    if (assignee !== undefined && (assignee?.id ?? null) !== i.assignee_id) {
      assigneeId = assignee?.id ?? null
      events.push({
        ...base,
        type: 'assigned',
        detail: { from: i.assignee_id, to: assignee ? { id: assignee.id, username: assignee.username } : null },
      })
    }
    if (change.comment !== undefined) events.push({ ...base, type: 'comment', detail: { body: change.comment } })
    if (stage !== i.stage || assigneeId !== i.assignee_id) updates.push({ id: i.id, assignee_id: assigneeId, stage })
  }
  if (refused.size > 0) {
    const [message, n] = [...refused][0]!
    throw new InputError(
      'invalid_request',
      `stage: ${n} of ${issues.length} issue(s) refuse the move (${message}); nothing was changed`,
      'narrow the selection to open issues (status=open)',
      422,
    )
  }
  for (let k = 0; k < updates.length; k += 10_000)
    await tx.query(
      `UPDATE issues i SET assignee_id = x.assignee_id, stage = x.stage, updated_at = $2
         FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, assignee_id uuid, stage text) WHERE i.id = x.id`,
      [JSON.stringify(updates.slice(k, k + 10_000)), o.now],
    )
  for (let k = 0; k < events.length; k += 10_000)
    await insertIssueEvents(tx, events.slice(k, k + 10_000), actor, { at: o.now, bulkId: o.bulkId ?? null })
  const changedIds = new Set([...updates.map((u) => u.id), ...events.map((e) => e.issue_id)])
  return changedIds.size
}
