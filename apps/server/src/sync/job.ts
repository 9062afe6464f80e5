import { isSourceConnector } from '@vulnsync/core'
import { type Db, finishRun, getConnectionById, getRun, updateConnection } from '@vulnsync/db'
import type { AppConfig } from '../config.ts'
import { BusyError, type JobSystem, PRIORITY } from '../jobs.ts'
import type { AppLogger } from '../logger.ts'
import type { Metrics } from '../metrics/vulnsync.ts'
import { runTrackerReconciliation } from '../outbound/tracker.ts'
import type { SecretBox } from '../secrets.ts'
import { connectionForRun, connectorOf, type Registry } from './connection.ts'
import { type ConnectionForRun, type EngineOptions, executeRun, type RunOutcome } from './engine.ts'

export interface JobDeps {
  db: Db
  jobs: Pick<JobSystem, 'enqueueRun'>
  connectors: Registry
  box: SecretBox
  engine: EngineOptions
  now: () => Date
  config: Pick<AppConfig, 'publicUrl' | 'allowPrivateNetworks'>
  logger: AppLogger
  metrics?: Metrics
}

/** A finished run in the metrics: its outcome, duration and what it read and skipped. */
const observeRun = (d: JobDeps, kind: string, out: RunOutcome, seconds: number) => {
  if (!d.metrics || out.status === 'queued') return
  d.metrics.syncRuns.inc({ connector_kind: kind, outcome: out.status })
  d.metrics.syncDuration.observe({ connector_kind: kind }, seconds)
  d.metrics.recordsFetched.inc({ connector_kind: kind }, out.counts.fetched)
  for (const [reason, n] of Object.entries(out.counts.skipped ?? {}))
    d.metrics.recordsSkipped.inc({ connector_kind: kind, reason }, n)
}

/** The job handler: runs or resumes one sync run (a tracker's run is its reconciliation). */
export const runSyncJob = async (d: JobDeps, runId: string, signal: AbortSignal): Promise<void> => {
  const run = await getRun(d.db, runId)
  if (run?.status !== 'queued') return // finished, cancelled, or taken by another worker: nothing to do
  const fail = (status: 'cancelled' | 'failed', code: string, message: string) =>
    finishRun(d.db, runId, { status, counts: run.counts, error: { code, message }, now: d.now() })
  const c = await getConnectionById(d.db, run.connection_id)
  if (!c) return fail('cancelled', 'disconnected', 'the connection was removed before the run started')
  const connector = connectorOf(d.connectors, c.kind)
  if (!connector) return fail('failed', 'unknown_kind', `no connector for kind ${c.kind}`)
  let conn: ConnectionForRun
  try {
    conn = connectionForRun(d.box, c)
  } catch (err) {
    return fail('failed', 'secrets', (err as Error).message)
  }
  const t0 = performance.now()
  const out = isSourceConnector(connector)
    ? await executeRun(d.engine, connector, conn, runId, signal)
    : await runTrackerReconciliation(
        { ...d, ...(d.engine.owner ? { owner: d.engine.owner } : {}) },
        connector,
        conn,
        runId,
        signal,
      )
  // the database refuses a second running run of one connection (sync_runs_one_active): wait and retry
  if (out.error?.code === 'busy') throw new BusyError(`${out.error.message}; run ${runId} waits`)
  observeRun(d, c.kind, out, (performance.now() - t0) / 1000)
  await updateConnection(d.db, c.workspace_id, c.id, { status: out.status === 'failed' ? 'error' : 'active' })
  // interrupted by a shutdown: hand the run to the next worker at once (it resumes from its checkpoint)
  if (out.status === 'queued' && signal.aborted) await d.jobs.enqueueRun(runId, PRIORITY.initial)
}
