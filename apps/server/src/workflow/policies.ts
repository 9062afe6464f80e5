import type { SlaPolicy } from '@vulnsync/core'
import { type Actor, type Db, getSlaPolicy, SLA_POLICY, savePolicy, sqlParams } from '@vulnsync/db'

const LEVELS = ['critical', 'high', 'medium', 'low', 'info'] as const

/** SQL of an issue's due date under a policy (its parameters start at $n). */
const dueSql = (policy: SlaPolicy, p: (v: unknown) => string) => {
  const level = policy.basis === 'severity' ? 'i.severity' : 'i.priority'
  const days = `CASE ${level} ${LEVELS.map((l) => `WHEN '${l}' THEN ${p(policy.days[l])}::int`).join(' ')} END`
  return `i.detected_at + make_interval(days => ${days})`
}

const stateSql = (due: string, now: string, dueSoonDays: string) =>
  `CASE WHEN ${due} IS NULL THEN 'none' WHEN ${due} < ${now} THEN 'breached'
        WHEN ${due} < ${now} + make_interval(days => ${dueSoonDays}) THEN 'due_soon' ELSE 'ok' END`

/**
 * Saves the SLA policy and recomputes the due dates of open issues (closed ones keep theirs), or with `dryRun` only
 * says which open issues would move between SLA states. Both count with the same SQL, so the dry run's numbers are
 * what the save does.
 */
export const changeSlaPolicy = async (
  db: Db,
  workspaceId: string,
  next: SlaPolicy,
  o: { dryRun: boolean; actor: Actor; now: Date },
) =>
  db.transaction(async (tx) => {
    const current = await getSlaPolicy(tx, workspaceId)
    const { params, p } = sqlParams(workspaceId, o.now, current.dueSoonDays, next.dueSoonDays)
    const newDue = dueSql(next, p)
    const { rows } = await tx.query<{ from: string; to: string; count: number }>(
      `SELECT s.old AS from, s.new AS to, count(*)::int AS count FROM (
         SELECT ${stateSql('i.sla_due_at', '$2::timestamptz', '$3::int')} AS old,
                ${stateSql(`(${newDue})`, '$2::timestamptz', '$4::int')} AS new
           FROM issues i WHERE i.workspace_id = $1 AND i.status = 'open') s
        WHERE s.old <> s.new GROUP BY s.old, s.new ORDER BY count(*) DESC`,
      params,
    )
    if (!o.dryRun) {
      await savePolicy(tx, workspaceId, SLA_POLICY, next, o.actor.name)
      const q: unknown[] = [workspaceId]
      const pq = (v: unknown) => {
        q.push(v)
        return `$${q.length}`
      }
      await tx.query(
        `UPDATE issues i SET sla_due_at = ${dueSql(next, pq)} WHERE i.workspace_id = $1 AND i.status = 'open'`,
        q,
      )
    }
    return { moves: rows, changed: rows.reduce((a, r) => a + r.count, 0) }
  })
