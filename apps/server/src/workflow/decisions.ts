import {
  type DecisionKind,
  type DecisionScope,
  evidenceOf,
  type IssueStatus,
  type SlaPolicy,
  validateDecision,
} from '@vulnsync/core'
import {
  type Actor,
  type Db,
  type DecisionRow,
  dueExpiries,
  endDecisions,
  getDecision,
  InputError,
  insertDecision,
  insertIssueEvents,
  issuesInScope,
  issuesOfDecision,
  liveDecisionsLike,
  type Queryable,
  reconcileDecisions,
  updateDecision,
} from '@vulnsync/db'

export interface DecisionRequest {
  issueId: string
  kind: DecisionKind
  reason: string
  justification?: string | null | undefined
  expiresAt?: Date | null | undefined
  scope: DecisionScope
}

const refuse = (field: string, message: string, hint?: string, status: 404 | 409 | 422 = 422) =>
  new InputError('invalid_request', `${field}: ${message}`, hint, status)

/**
 * Records a decision (inside the caller's transaction): validated against the policy, superseding a live decision of
 * exactly the same scope, and applied at once to every issue it reaches (a wider scope also covers issues imported
 * later: ingest applies it to new issues). Returns the decision and how many issues it changed.
 */
export const recordDecision = async (
  tx: Queryable,
  workspaceId: string,
  req: DecisionRequest,
  policy: Pick<SlaPolicy, 'maxAcceptanceDays'>,
  who: { userId: string | null; actor: Actor },
  o: { now: Date; bulkId?: string | null },
): Promise<{ decision: DecisionRow; changed: number }> => {
  const bad = validateDecision(req, policy, o.now)
  if (bad) throw refuse(bad.field, bad.message)
  const issue = (
    await tx.query<{ id: number; cve: string; target_key: string; status: IssueStatus }>(
      `SELECT id, cve, target_key, status FROM issues WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, req.issueId],
    )
  ).rows[0]
  if (!issue)
    throw refuse('issueId', `issue ${req.issueId} does not exist`, 'use an id from GET /api/v1/vulnerabilities')
  if (req.scope === 'issue' && evidenceOf(issue.status) !== 'open')
    throw refuse(
      'issueId',
      `issue ${req.issueId} is ${issue.status}: no scanner reports it, so there is nothing to decide`,
      'a decision for this CVE in the whole target or workspace (scope) also covers its return',
      409,
    )
  const decision = await insertDecision(tx, {
    workspaceId,
    kind: req.kind,
    scope: req.scope,
    issueId: issue.id,
    cve: issue.cve,
    targetKey: issue.target_key,
    reason: req.reason.trim(),
    justification: req.justification?.trim() || null,
    expiresAt: req.expiresAt ?? null,
    createdBy: who.userId,
    createdByName: who.actor.name,
  })
  // one live decision per scope and key: the new one supersedes the older one
  const older = await liveDecisionsLike(tx, decision)
  const touched = new Set<number>()
  if (older.length > 0) {
    await endDecisions(tx, older, 'superseded', who.actor.name, o.now)
    for (const id of older) for (const i of await issuesOfDecision(tx, id)) touched.add(i)
  }
  const reach = await issuesInScope(tx, {
    workspaceId,
    scope: decision.scope,
    issueId: decision.issue_id,
    cve: decision.cve,
    targetKey: decision.target_key,
  })
  for (const i of reach) touched.add(i)
  const changed = await reconcileDecisions(tx, [...touched], who.actor, o)
  return { decision, changed }
}

/** Ends a decision (revoked or expired) and reopens what it governed, unless another decision covers it. */
export const endDecision = async (
  db: Db,
  decisionId: number,
  why: 'revoked' | 'expired',
  actor: Actor,
  now: Date,
): Promise<number> =>
  db.transaction(async (tx) => {
    const ended = await endDecisions(tx, [decisionId], why, actor.name, now)
    if (ended.length === 0) return 0
    return reconcileDecisions(tx, await issuesOfDecision(tx, decisionId), actor, { now })
  })

/** The expiry job: every live decision whose expiry passed ends, and its issues reopen (stage triaged). */
export const expireDecisions = async (db: Db, now: Date): Promise<{ expired: number; reopened: number }> => {
  let expired = 0
  let reopened = 0
  for (;;) {
    const due = await dueExpiries(db, now, 200)
    if (due.length === 0) break
    for (const d of due) {
      reopened += await endDecision(db, d.id, 'expired', { name: 'expiry', kind: 'job' }, now)
      expired++
    }
    if (due.length < 200) break
  }
  return { expired, reopened }
}

/** Extends, rewords or marks reviewed a live decision; an expiry is checked against the policy from today. */
export const amendDecision = async (
  db: Db,
  workspaceId: string,
  id: string,
  p: { expiresAt?: Date; reason?: string; justification?: string | null; reviewed?: boolean },
  policy: Pick<SlaPolicy, 'maxAcceptanceDays'>,
  actor: Actor,
  now: Date,
) => {
  const d = await getDecision(db, workspaceId, id)
  if (!d) throw refuse('id', `decision ${id} does not exist`, 'list them with GET /api/v1/decisions', 404)
  if (d.ended_at)
    throw refuse(
      'id',
      `decision ${id} ended (${d.end_reason}) at ${new Date(d.ended_at).toISOString()}`,
      'record a new decision instead',
      409,
    )
  if (p.expiresAt !== undefined || p.reason !== undefined) {
    const bad = validateDecision(
      {
        kind: d.kind,
        reason: p.reason ?? d.reason,
        justification: p.justification ?? d.justification,
        expiresAt: p.expiresAt ?? d.expires_at,
      },
      policy,
      now,
    )
    if (bad) throw refuse(bad.field, bad.message)
  }
  await db.transaction(async (tx) => {
    await updateDecision(tx, workspaceId, d.id, p, now)
    const action = p.expiresAt ? 'extended' : p.reviewed ? 'reviewed' : 'amended'
    const issues = await issuesOfDecision(tx, d.id)
    await insertIssueEvents(
      tx,
      issues.map((issue_id) => ({
        issue_id,
        workspace_id: workspaceId,
        type: 'decision',
        detail: {
          action,
          decisionId: String(d.id),
          kind: d.kind,
          ...(p.expiresAt ? { expiresAt: p.expiresAt.toISOString() } : {}),
        },
      })),
      actor,
      { at: now },
    )
  })
  return (await getDecision(db, workspaceId, id))!
}
