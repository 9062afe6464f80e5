import { connectionContext, describeRunError } from '@vulnsync/connectors'
import { addStageTime, type Logger, type SourceConnector, stageTimers } from '@vulnsync/core'
import {
  type Db,
  emptyCounts,
  finishRun,
  getRun,
  type RunCounts,
  type RunOwner,
  type RunRow,
  startRun,
} from '@vulnsync/db'
import { BatchWriter } from './batch-writer.ts'
import { readIntoBatches, ShutdownError } from './read.ts'
import { type CollapseRule, DEFAULT_COLLAPSE, resolveRun } from './resolution.ts'
import { RunState } from './run-state.ts'

export { ShutdownError }

export interface ConnectionForRun {
  id: string
  workspaceId: string
  kind: string
  name: string
  config: unknown
  secrets: unknown
  /** selected location ids, or null for everything */
  locations: string[] | null
}

export interface EngineOptions {
  db: Db
  logger: Logger
  allowPrivateNetworks: boolean
  now?: () => Date
  /**
   * records per write batch (a batch is written once half of it is read at a checkpoint, or all of it); default 4,000
   * on PostgreSQL, 5,000 on PGlite
   */
  batchSize?: number
  /**
   * occurrence batches written at once, each in its own transaction; default 2 on PostgreSQL (one batch's statements
   * run while the next one's JavaScript prepares it), 1 on PGlite (one connection: nothing to overlap)
   */
  writesInFlight?: number
  collapse?: CollapseRule
  sleep?: (ms: number) => Promise<void>
  /** overrides of the guarded HTTP client (tests: fast backoff) */
  http?: { maxRetries?: number; backoffMs?: number; timeoutMs?: number }
  /** this process, recorded on the runs it starts so another process can tell when it has died */
  owner?: RunOwner
  /** called when a run completed (succeeded), before it is marked finished: what else a sync updates (fix PRs) */
  afterRun?: (connector: SourceConnector, connection: ConnectionForRun, run: RunRow) => Promise<void>
  /** told of every upstream answer (metrics: requests and 429s by connector kind) */
  observe?: (connectorKind: string, status: number) => void
}

export interface RunOutcome {
  status: RunRow['status']
  counts: RunCounts
  error?: RunRow['error']
}

/**
 * Runs one sync of one connection: reads (read.ts) into batches (batch-writer.ts), checkpointing as it goes, then,
 * only when the read completed, resolves what the upstream no longer reports (resolution.ts). The engine knows no
 * vendor: everything vendor-specific is behind the connector.
 */
export const executeRun = async (
  opts: EngineOptions,
  connector: SourceConnector,
  connection: ConnectionForRun,
  runId: string,
  signal: AbortSignal,
): Promise<RunOutcome> => {
  const { db } = opts
  const now = opts.now ?? (() => new Date())
  const log: Logger = (opts.logger as any).child
    ? (opts.logger as any).child({ runId, connectionId: connection.id, kind: connection.kind })
    : opts.logger

  const run = await startRun(db, runId, now(), opts.owner ?? null)
  if (!run) {
    const existing = await getRun(db, runId)
    return {
      status: existing?.status ?? 'failed',
      counts: existing?.counts ?? emptyCounts(),
      error: { code: 'busy', message: 'another run of this connection is in progress' },
    }
  }
  const state = new RunState(db, runId, now, run)
  const pg = db.driver === 'postgres'
  const writer = new BatchWriter(
    db,
    connection,
    runId,
    state,
    now,
    opts.batchSize ?? (pg ? 4_000 : 5_000),
    opts.writesInFlight ?? (pg ? 2 : 1),
  )
  const ctx = connectionContext(connector, 'read', {
    config: connection.config,
    secrets: connection.secrets,
    signal,
    logger: log,
    allowPrivateNetworks: opts.allowPrivateNetworks,
    now,
    sleep: opts.sleep,
    progress: state.onProgress,
    http: { ...opts.http, afterResponse: (res) => opts.observe?.(connection.kind, res.status) },
  })
  const { counts, progress } = state
  state.startHeartbeat()
  try {
    try {
      await readIntoBatches(
        connector,
        ctx,
        { selection: connection.locations, cursor: (run.cursor as any) ?? null },
        writer,
        state,
        log,
        signal,
        now,
      )
      const t0 = stageTimers.on ? performance.now() : 0
      await writer.flushAll()
      if (stageTimers.on) addStageTime('engine.finalFlush', t0)
    } catch (err) {
      const shuttingDown = signal.aborted && (signal.reason instanceof ShutdownError || err instanceof ShutdownError)
      if (shuttingDown) {
        // leave it resumable: what is written stays, the cursor points after it, the job is retried
        await writer.flushAll().catch(() => {})
        await state.saveScopes({ ...progress, message: 'interrupted: will resume' })
        await finishRun(db, runId, { status: 'queued', counts, now: now(), keepCursor: true })
        log.info('run interrupted by shutdown; it will resume from its last checkpoint')
        return { status: 'queued', counts }
      }
      const error = signal.aborted ? { code: 'cancelled', message: 'the run was cancelled' } : describeRunError(err)
      try {
        await writer.drain()
        await writer.flush()
      } catch {
        // the batch in flight is lost; the next run reads it again
      }
      await writer.finishStatistics().catch(() => {})
      const imported = counts.created + counts.updated + counts.unchanged + counts.reopened > 0
      const status = signal.aborted ? 'cancelled' : imported ? 'partial' : 'failed'
      await finishRun(db, runId, { status, counts, progress: { ...progress, pausedUntil: null }, error, now: now() })
      log.warn({ status, error }, 'sync run did not complete; nothing was resolved')
      return { status, counts, error }
    }

    // the read completed: resolve what is gone, unless the drop is implausible
    const tResolve = stageTimers.on ? performance.now() : 0
    const { status, error } = await resolveRun(
      {
        db,
        connector,
        connection,
        runId,
        incompleteScopes: [...state.incomplete],
        completeScopes: [...state.complete],
        now: now(),
      },
      counts,
      opts.collapse ?? DEFAULT_COLLAPSE,
      log,
    )
    if (stageTimers.on) addStageTime('engine.resolve', tResolve)
    const tAfter = stageTimers.on ? performance.now() : 0
    // what a completed sync updates happens before the run is seen finished: a finished run implies it
    if (status === 'succeeded' && opts.afterRun)
      await opts
        .afterRun(connector, connection, run)
        .catch((err) => log.warn({ err: (err as Error).message }, 'after the sync run: fix pull requests not updated'))
    if (stageTimers.on) addStageTime('engine.afterRun', tAfter)
    await finishRun(db, runId, {
      status,
      counts,
      progress: { ...progress, pausedUntil: null, message: undefined },
      error,
      now: now(),
    })
    log.info({ status, counts }, 'sync run finished')
    return { status, counts, ...(error ? { error } : {}) }
  } finally {
    state.stopHeartbeat()
  }
}
