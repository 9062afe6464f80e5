import type { AnyConnector } from '@vulnsync/core'
import {
  applyFixEvent,
  type FixPrRow,
  fixPrIssueIds,
  getFixRepository,
  listFixPrs,
  type RunRow,
  setFixPrState,
  verifyFixes,
} from '@vulnsync/db'
import type { Runtime } from '../runtime.ts'
import type { ConnectionForRun } from '../sync/engine.ts'
import { type ScmDeps, scmAccess } from './scm.ts'

type TrackDeps = ScmDeps & Pick<Runtime, 'workspaceId' | 'now'>

const PR_ACTOR = { name: 'pull request', kind: 'pull_request' as const }

/**
 * Reads the state of open fix pull requests (of one SCM connection, or all) and moves their issues: merged →
 * `fix_merged`; closed without merging → back to `triaged`, said in the timeline. Returns how many changed state.
 */
export const refreshFixPullRequests = async (rt: TrackDeps, o: { connectionId?: string } = {}): Promise<number> => {
  const open = (await listFixPrs(rt.db, rt.workspaceId, { state: ['open'] })).filter(
    (p) => !o.connectionId || p.connection_id === o.connectionId,
  )
  let changed = 0
  for (const p of open) {
    try {
      changed += (await refreshOne(rt, p)) ? 1 : 0
    } catch (err) {
      rt.logger.warn({ pullRequest: p.url, err: (err as Error).message }, 'fix pull request state not read')
    }
  }
  return changed
}

const refreshOne = async (rt: TrackDeps, p: FixPrRow): Promise<boolean> => {
  const repo = await getFixRepository(rt.db, rt.workspaceId, String(p.repository_id))
  if (!repo) return false
  const scm = await scmAccess(rt, repo)
  const s = await scm.writer.state(scm.ctx, scm.repo, p.number)
  const now = rt.now()
  return rt.db.transaction(async (tx) => {
    await setFixPrState(tx, Number(p.id), {
      state: s.state,
      mergedAt: s.mergedAt,
      closedAt: s.closedAt,
      headSha: s.headSha,
      now,
    })
    if (s.state === p.state) return false
    const issues = await fixPrIssueIds(tx, Number(p.id))
    const ref = { id: Number(p.id), number: p.number, url: p.url }
    await applyFixEvent(
      tx,
      issues,
      s.state === 'merged' ? 'fix_merged' : 'fix_abandoned',
      ref,
      PR_ACTOR,
      s.mergedAt ?? now,
    )
    return true
  })
}

/**
 * What a succeeded sync run updates: an SCM connection's open fix pull requests are refreshed; after a scanner's
 * complete run, the issues of merged fix pull requests are verified (fixed by the pull request, or still vulnerable).
 */
export const afterSyncRun = async (
  rt: TrackDeps,
  connector: AnyConnector,
  connection: ConnectionForRun,
  run: RunRow,
): Promise<void> => {
  if (connector.role === 'scm') {
    await refreshFixPullRequests(rt, { connectionId: connection.id })
    return
  }
  const r = await rt.db.transaction((tx) =>
    verifyFixes(tx, {
      connectionId: connection.id,
      runId: run.id,
      runStartedAt: run.started_at ?? rt.now(),
      now: rt.now(),
    }),
  )
  if (r.verified || r.stillVulnerable) rt.logger.info({ ...r, runId: run.id }, 'fix pull requests verified by the scan')
}
