import {
  closedAtAfter,
  type DecisionKind,
  type DecisionScope,
  draftsOf,
  type IssueStatus,
  type Stage,
  transition,
} from '@vulnsync/core'
import type { Queryable } from './driver.ts'
import { type Actor, ascendingIds, type IssueEventInput, insertIssueEvents, lockIssueRows } from './workflow-store.ts'

/**
 * Decisions (risk accepted, false positive, not affected) are records of their own, with a scope: one issue, a CVE in
 * a target, or a CVE everywhere in the workspace. The issue governed by a decision points at it (`decision_id`):
 * the narrowest live decision covering it, then the newest. Every change of what governs an issue goes through the
 * workflow's transition function.
 */

export interface DecisionRow {
  id: number
  workspace_id: string
  kind: DecisionKind
  scope: DecisionScope
  issue_id: number | null
  cve: string
  target_key: string | null
  reason: string
  justification: string | null
  expires_at: Date | null
  created_by: string | null
  created_by_name: string
  created_at: Date
  updated_at: Date
  ended_at: Date | null
  end_reason: 'revoked' | 'expired' | 'superseded' | null
  ended_by: string | null
  needs_review: boolean
  review_reason: string | null
}

export interface DecisionWithCounts extends DecisionRow {
  /** issues it governs now */
  issues: number
  /** of those, how many a changed evidence flagged for review */
  issues_needing_review: number
}

// the live decisions covering an issue, the narrowest first, then the newest
const COVERING = `d.workspace_id = i.workspace_id AND d.cve = i.cve AND d.ended_at IS NULL
  AND (d.scope = 'cve_everywhere' OR (d.scope = 'cve_in_target' AND d.target_key = i.target_key)
       OR (d.scope = 'issue' AND d.issue_id = i.id))`
const NARROWEST_FIRST = `CASE d.scope WHEN 'issue' THEN 0 WHEN 'cve_in_target' THEN 1 ELSE 2 END, d.id DESC`

interface IssueWork {
  id: number
  workspace_id: string
  status: IssueStatus
  stage: Stage
  closed_at: Date | null
  fixed_at: Date | null
  decision_id: number | null
  old_kind: DecisionKind | null
  old_end_reason: DecisionRow['end_reason']
  new_id: number | null
  new_kind: DecisionKind | null
  new_scope: DecisionScope | null
  new_reason: string | null
}

/**
 * Points each of these issues at the decision that governs it now, and applies the change through the transition
 * function: a decision applied (the issue takes its kind unless it is fixed or excluded), or one ended (the issue
 * reopens at stage `triaged`, or another decision governs it). Writes one timeline entry per change. Returns how
 * many issues changed.
 */
export const reconcileDecisions = async (
  tx: Queryable,
  issueIds: number[],
  actor: Actor,
  o: { now: Date; bulkId?: string | null } = { now: new Date() },
): Promise<number> => {
  let changed = 0
  const sorted = ascendingIds(issueIds)
  for (let k = 0; k < sorted.length; k += 5000) {
    const ids = sorted.slice(k, k + 5000)
    await lockIssueRows(tx, ids)
    const { rows } = await tx.query<IssueWork>(
      `SELECT i.id, i.workspace_id, i.status, i.stage, i.closed_at, i.fixed_at, i.decision_id,
              od.kind AS old_kind, od.end_reason AS old_end_reason,
              nd.id AS new_id, nd.kind AS new_kind, nd.scope AS new_scope, nd.reason AS new_reason
         FROM issues i
         LEFT JOIN decisions od ON od.id = i.decision_id
         LEFT JOIN LATERAL (SELECT d.id, d.kind, d.scope, d.reason FROM decisions d WHERE ${COVERING}
                             ORDER BY ${NARROWEST_FIRST} LIMIT 1) nd ON true
        WHERE i.id = ANY($1::bigint[])`,
      [ids],
    )
    const updates: {
      id: number
      decision_id: number | null
      status: string
      stage: string
      closed_at: string | null
    }[] = []
    const events: IssueEventInput[] = []
    for (const r of rows) {
      if (r.new_id === r.decision_id) continue
      const before = { status: r.status, stage: r.stage, decision: r.old_kind }
      const t =
        r.new_kind !== null
          ? transition(before, { type: 'decision_applied', kind: r.new_kind })
          : transition(before, {
              type: 'decision_ended',
              cause: r.old_end_reason === 'expired' ? 'expired' : 'revoked',
              next: null,
            })
      if (!t.ok) continue // decision events are never refused
      const closedAt = closedAtAfter(r.status, t.state.status, r.closed_at, o.now, r.fixed_at)
      updates.push({
        id: r.id,
        decision_id: r.new_id,
        status: t.state.status,
        stage: t.state.stage,
        closed_at: closedAt ? closedAt.toISOString() : null,
      })
      const base = { issue_id: r.id, workspace_id: r.workspace_id }
      if (r.decision_id !== null)
        events.push({
          ...base,
          type: 'decision',
          detail: { action: r.old_end_reason ?? 'replaced', decisionId: String(r.decision_id), kind: r.old_kind },
        })
      if (r.new_id !== null)
        events.push({
          ...base,
          type: 'decision',
          detail: {
            action: 'applied',
            decisionId: String(r.new_id),
            kind: r.new_kind,
            scope: r.new_scope,
            reason: r.new_reason,
          },
        })
      for (const d of draftsOf(t.changes)) events.push({ ...base, type: d.type, detail: { ...d } })
    }
    if (updates.length === 0) continue
    await tx.query(
      `UPDATE issues i SET decision_id = x.decision_id, status = x.status, stage = x.stage, closed_at = x.closed_at,
              review_needed = false, updated_at = $2
         FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, decision_id bigint, status text, stage text, closed_at timestamptz)
        WHERE i.id = x.id`,
      [JSON.stringify(updates), o.now],
    )
    await insertIssueEvents(tx, events, actor, { at: o.now, bulkId: o.bulkId ?? null })
    changed += updates.length
  }
  return changed
}

/** Issues a decision of this scope reaches (before it exists: to apply it). */
export const issuesInScope = async (
  db: Queryable,
  d: { workspaceId: string; scope: DecisionScope; issueId: number | null; cve: string; targetKey: string | null },
): Promise<number[]> => {
  const { rows } =
    d.scope === 'issue'
      ? await db.query<{ id: number }>(`SELECT id FROM issues WHERE workspace_id = $1 AND id = $2`, [
          d.workspaceId,
          d.issueId,
        ])
      : d.scope === 'cve_in_target'
        ? await db.query<{ id: number }>(
            `SELECT id FROM issues WHERE workspace_id = $1 AND cve = $2 AND target_key = $3`,
            [d.workspaceId, d.cve, d.targetKey],
          )
        : await db.query<{ id: number }>(`SELECT id FROM issues WHERE workspace_id = $1 AND cve = $2`, [
            d.workspaceId,
            d.cve,
          ])
  return rows.map((r) => r.id)
}

/** Issues governed by a decision now. */
export const issuesOfDecision = async (db: Queryable, decisionId: number): Promise<number[]> =>
  (await db.query<{ id: number }>(`SELECT id FROM issues WHERE decision_id = $1`, [decisionId])).rows.map((r) => r.id)

export const insertDecision = async (
  db: Queryable,
  d: {
    workspaceId: string
    kind: DecisionKind
    scope: DecisionScope
    issueId: number | null
    cve: string
    targetKey: string | null
    reason: string
    justification: string | null
    expiresAt: Date | null
    createdBy: string | null
    createdByName: string
  },
): Promise<DecisionRow> =>
  (
    await db.query<DecisionRow>(
      `INSERT INTO decisions (workspace_id, kind, scope, issue_id, cve, target_key, reason, justification, expires_at,
              created_by, created_by_name)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
      [
        d.workspaceId,
        d.kind,
        d.scope,
        d.scope === 'issue' ? d.issueId : null,
        d.cve,
        d.scope === 'cve_everywhere' ? null : d.targetKey,
        d.reason,
        d.justification,
        d.expiresAt,
        d.createdBy,
        d.createdByName,
      ],
    )
  ).rows[0]!

/** Live decisions of exactly the same scope and key as `d` (a new decision supersedes them). */
export const liveDecisionsLike = async (db: Queryable, d: DecisionRow): Promise<number[]> =>
  (
    await db.query<{ id: number }>(
      `SELECT id FROM decisions WHERE workspace_id = $1 AND scope = $2 AND cve = $3 AND ended_at IS NULL AND id <> $4
          AND ($2 <> 'issue' OR issue_id = $5) AND ($2 <> 'cve_in_target' OR target_key = $6)`,
      [d.workspace_id, d.scope, d.cve, d.id, d.issue_id, d.target_key],
    )
  ).rows.map((r) => r.id)

/** Ends decisions (revoked, expired or superseded); returns the ones that were still live. */
export const endDecisions = async (
  db: Queryable,
  ids: number[],
  why: 'revoked' | 'expired' | 'superseded',
  by: string,
  now: Date,
): Promise<number[]> =>
  (
    await db.query<{ id: number }>(
      `UPDATE decisions SET ended_at = $2, end_reason = $3, ended_by = $4, updated_at = $2
        WHERE id = ANY($1::bigint[]) AND ended_at IS NULL RETURNING id`,
      [ids, now, why, by],
    )
  ).rows.map((r) => r.id)

export const getDecision = async (db: Queryable, workspaceId: string, id: string): Promise<DecisionWithCounts | null> =>
  (
    await db.query<DecisionWithCounts>(
      `SELECT d.*, (SELECT count(*)::int FROM issues i WHERE i.decision_id = d.id) AS issues,
              (SELECT count(*)::int FROM issues i WHERE i.decision_id = d.id AND i.review_needed) AS issues_needing_review
         FROM decisions d WHERE d.workspace_id = $1 AND d.id = $2`,
      [workspaceId, id],
    )
  ).rows[0] ?? null

export const listDecisions = async (
  db: Queryable,
  workspaceId: string,
  f: {
    kind?: DecisionKind[] | undefined
    expiringWithinDays?: number | undefined
    needsReview?: boolean | undefined
    includeEnded?: boolean | undefined
    limit: number
  },
  now: Date,
): Promise<DecisionWithCounts[]> =>
  (
    await db.query<DecisionWithCounts>(
      `SELECT d.*, (SELECT count(*)::int FROM issues i WHERE i.decision_id = d.id) AS issues,
              (SELECT count(*)::int FROM issues i WHERE i.decision_id = d.id AND i.review_needed) AS issues_needing_review
         FROM decisions d
        WHERE d.workspace_id = $1 AND ($2::boolean OR d.ended_at IS NULL)
          AND ($3::text[] IS NULL OR d.kind = ANY($3::text[]))
          AND ($4::int IS NULL OR (d.expires_at IS NOT NULL AND d.expires_at <= $5::timestamptz + make_interval(days => $4::int)))
          AND (NOT $6::boolean OR d.needs_review)
        ORDER BY d.ended_at IS NOT NULL, d.expires_at NULLS LAST, d.id DESC LIMIT $7`,
      [
        workspaceId,
        f.includeEnded ?? false,
        f.kind ?? null,
        f.expiringWithinDays ?? null,
        now,
        f.needsReview ?? false,
        f.limit,
      ],
    )
  ).rows

export const updateDecision = async (
  db: Queryable,
  workspaceId: string,
  id: number,
  p: { expiresAt?: Date; reason?: string; justification?: string | null; reviewed?: boolean },
  now: Date,
): Promise<void> => {
  await db.query(
    `UPDATE decisions SET expires_at = COALESCE($3, expires_at), reason = COALESCE($4, reason),
            justification = CASE WHEN $5::boolean THEN $6 ELSE justification END,
            needs_review = CASE WHEN $7::boolean THEN false ELSE needs_review END,
            review_reason = CASE WHEN $7::boolean THEN NULL ELSE review_reason END, updated_at = $8
      WHERE workspace_id = $1 AND id = $2`,
    [
      workspaceId,
      id,
      p.expiresAt ?? null,
      p.reason ?? null,
      p.justification !== undefined,
      p.justification ?? null,
      p.reviewed ?? false,
      now,
    ],
  )
  if (p.reviewed) await db.query(`UPDATE issues SET review_needed = false WHERE decision_id = $1`, [id])
}

/** Live decisions whose expiry has passed. */
export const dueExpiries = async (db: Queryable, now: Date, limit = 1000): Promise<DecisionRow[]> =>
  (
    await db.query<DecisionRow>(
      `SELECT * FROM decisions WHERE ended_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [now, limit],
    )
  ).rows

/** Flags the decisions governing these issues for review (their evidence changed). */
export const flagDecisionsForReview = async (db: Queryable, issueIds: number[], reason: string): Promise<void> => {
  if (issueIds.length === 0) return
  await db.query(
    `UPDATE decisions SET needs_review = true, review_reason = $2
      WHERE id IN (SELECT decision_id FROM issues WHERE id = ANY($1::bigint[]) AND decision_id IS NOT NULL)`,
    [issueIds, reason],
  )
}

/** Live decisions that could reach issues of these CVEs (cheap: the new issues of a batch usually have none). */
export const anyLiveDecisionFor = async (db: Queryable, workspaceId: string, cves: string[]): Promise<boolean> =>
  cves.length > 0 &&
  (
    await db.query(
      `SELECT 1 FROM decisions WHERE workspace_id = $1 AND ended_at IS NULL AND cve = ANY($2::text[]) LIMIT 1`,
      [workspaceId, cves],
    )
  ).rows.length > 0
