import type { KEV_ACTION_VALUES, LOWERING_FACTOR_VALUES, PriorityMove } from '@vulnsync/api'
import type { KevAction, LoweringFactor, PriorityPolicy } from '@vulnsync/core'
import { type Actor, type Db, PRIORITY_POLICY, reprioritiseIssues, savePolicy, workspaceIssueIds } from '@vulnsync/db'

// the API's value lists are the core's (the api package depends on nothing): a difference does not compile
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const sameLists: [
  Same<(typeof LOWERING_FACTOR_VALUES)[number], LoweringFactor>,
  Same<(typeof KEV_ACTION_VALUES)[number], KevAction>,
] = [true, true]
void sameLists

/**
 * Saves the workspace's priority policy and recomputes the priority of every issue under it, in one transaction (all
 * or nothing), writing a timeline entry with the cause `policy_change` for each issue whose level moves; or, with
 * `dryRun`, only counts the moves. Both run the same recomputation, so the dry run's numbers are what the save does.
 */
export const changePriorityPolicy = async (
  db: Db,
  workspaceId: string,
  next: PriorityPolicy,
  o: { dryRun: boolean; actor: Actor; now: Date },
): Promise<{ moves: PriorityMove[]; changed: number; examined: number }> => {
  const options = { cause: 'policy_change' as const, actor: o.actor, now: o.now, policy: { workspaceId, policy: next } }
  const r = o.dryRun
    ? await reprioritiseIssues(db, await workspaceIssueIds(db, workspaceId), { ...options, dryRun: true })
    : await db.transaction(async (tx) => {
        await savePolicy(tx, workspaceId, PRIORITY_POLICY, next, o.actor.name)
        return reprioritiseIssues(db, await workspaceIssueIds(tx, workspaceId), { ...options, tx })
      })
  return { moves: r.moves, changed: r.changed, examined: r.examined }
}
