import type { Logger, SourceConnector } from '@vulnsync/core'
import {
  type Db,
  excludeDeselected,
  finishRun,
  markRepositoriesRemoved,
  planRepositoryRemoval,
  planResolution,
  type RunCounts,
  type RunRow,
  rematchUnmatched,
  resolveMissing,
} from '@vulnsync/db'
import type { ConnectionForRun } from './engine.ts'

/** A complete run that would resolve at least `minMissing` and at least `ratio` of the open ones is held (ADR 0002). */
export interface CollapseRule {
  minMissing: number
  ratio: number
}
export const DEFAULT_COLLAPSE: CollapseRule = { minMissing: 50, ratio: 0.9 }

/** What a completed read may resolve: the connection's selection, minus incomplete scopes, within complete ones. */
export interface ResolutionInput {
  db: Db
  connector: Pick<SourceConnector, 'role' | 'resolvesByScope'>
  connection: Pick<ConnectionForRun, 'id' | 'workspaceId' | 'locations'>
  runId: string
  incompleteScopes: string[]
  completeScopes: string[]
  now: Date
}

const scopeOf = (r: ResolutionInput) => ({
  connectionId: r.connection.id,
  runId: r.runId,
  incompleteScopes: r.incompleteScopes,
  selection: r.connection.locations,
  completeScopes: r.connector.resolvesByScope ? r.completeScopes : null,
})

/** How much a run would resolve, against how much is open. */
const plan = async (r: ResolutionInput) =>
  r.connector.role === 'scm'
    ? { ...(await planRepositoryRemoval(r.db, r.connection.id, r.runId)), what: 'repositories' }
    : { ...(await planResolution(r.db, scopeOf(r))), what: 'findings' }

/** Resolves what the run no longer saw: absent occurrences (their issues fixed when no source reports them), or removed repositories. */
const apply = async (r: ResolutionInput, counts: RunCounts) => {
  if (r.connector.role === 'scm') {
    counts.resolved += await markRepositoriesRemoved(r.db, r.connection.id, r.runId, r.now)
    return
  }
  const x = await resolveMissing(r.db, { ...scopeOf(r), now: r.now })
  counts.resolved += x.resolved
  counts.issuesFixed = (counts.issuesFixed ?? 0) + x.issuesFixed
}

const heldError = (missing: number, open: number, what: string): NonNullable<RunRow['error']> => ({
  code: 'suspicious_drop',
  message: `this run no longer saw ${missing} of ${open} open ${what}; a drop that large is more often lost access or an upstream outage than real fixes, so nothing was resolved`,
  hint: 'Check the connection (POST /api/v1/connections/{id}/check). If the findings really are gone, confirm with POST /api/v1/syncs/{runId}/confirm.',
})

/**
 * After a read that completed: resolves what is gone unless the drop is implausible (then the run is held), takes
 * deselected locations out of the queue, and lets waiting findings join repositories an SCM sync brought.
 */
export const resolveRun = async (
  r: ResolutionInput,
  counts: RunCounts,
  collapse: CollapseRule,
  log: Logger,
): Promise<{ status: RunRow['status']; error?: RunRow['error'] }> => {
  let result: { status: RunRow['status']; error?: RunRow['error'] } = { status: 'succeeded' }
  const p = await plan(r)
  if (p.missing >= collapse.minMissing && p.missing >= p.open * collapse.ratio) {
    counts.wouldResolve = p.missing
    result = { status: 'held', error: heldError(p.missing, p.open, p.what) }
  } else await apply(r, counts)
  if (r.connector.role === 'scm') {
    const joined = await rematchUnmatched(r.db, r.connection.workspaceId, r.now)
    if (joined) log.info({ joined }, 'waiting findings joined the queue')
  } else {
    // what the selection no longer covers leaves the queue (excluded, not fixed)
    const excluded = await excludeDeselected(r.db, {
      connectionId: r.connection.id,
      selection: r.connection.locations,
      now: r.now,
    })
    if (excluded) counts.excluded = (counts.excluded ?? 0) + excluded
  }
  return result
}

/** Applies the resolution a held run did not apply, once a person confirms the drop is real. */
export const confirmHeldRun = async (
  db: Db,
  run: RunRow,
  connection: ConnectionForRun,
  connector: Pick<SourceConnector, 'role' | 'resolvesByScope'>,
  now: Date,
): Promise<RunCounts> => {
  const counts = { ...run.counts }
  await apply(
    {
      db,
      connector,
      connection,
      runId: run.id,
      incompleteScopes: run.incomplete_scopes,
      completeScopes: run.complete_scopes,
      now,
    },
    counts,
  )
  counts.wouldResolve = 0
  await finishRun(db, run.id, { status: 'succeeded', counts, now })
  return counts
}
