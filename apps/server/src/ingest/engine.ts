import { connectionContext, describeRunError } from '@vulnsync/connectors'
import {
  type AnyConnector,
  isSkip,
  type Logger,
  type ProgressUpdate,
  type RepoMatcher,
  type RepositoryRecord,
} from '@vulnsync/core'
import {
  type Db,
  emptyCounts,
  excludeDeselected,
  finishRun,
  getRun,
  loadRepoMatcher,
  markRepositoriesRemoved,
  type OccurrenceInput,
  planRepositoryRemoval,
  planResolution,
  type RunCounts,
  type RunOwner,
  type RunRow,
  rematchUnmatched,
  resolveMissing,
  saveRunState,
  startRun,
  writeOccurrenceBatch,
  writeRepositoryBatch,
} from '@vulnsync/db'
import { InvalidFindingError, toOccurrenceInput } from './prepare.ts'

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
  /** records per write batch (default 2,000) */
  batchSize?: number
  /** a complete run that would resolve at least `minMissing` findings and at least `ratio` of the open ones is held */
  collapse?: { minMissing: number; ratio: number }
  sleep?: (ms: number) => Promise<void>
  /** overrides of the guarded HTTP client (tests: fast backoff) */
  http?: { maxRetries?: number; backoffMs?: number; timeoutMs?: number }
  /** this process, recorded on the runs it starts so another process can tell when it has died */
  owner?: RunOwner
}

export interface RunOutcome {
  status: RunRow['status']
  counts: RunCounts
  error?: RunRow['error']
}

const DEFAULT_COLLAPSE = { minMissing: 50, ratio: 0.9 }

// a failed run's error (kind, the connector's message, a hint) is worded by the connector kit
export { describeRunError }

export class ShutdownError extends Error {
  constructor() {
    super('vulnsync is shutting down: the run will resume from its last checkpoint')
  }
}

/**
 * Runs one sync of one connection: streams the connector's records through `map` into the database in batches,
 * checkpointing as it goes, then (only when the read completed) resolves what the upstream no longer reports.
 * The engine knows no vendor: everything vendor-specific is behind the connector.
 */
export const executeRun = async (
  opts: EngineOptions,
  connector: AnyConnector,
  connection: ConnectionForRun,
  runId: string,
  signal: AbortSignal,
): Promise<RunOutcome> => {
  const { db, logger } = opts
  const now = opts.now ?? (() => new Date())
  const batchSize = opts.batchSize ?? 2500
  const log = (logger as any).child
    ? (logger as any).child({ runId, connectionId: connection.id, kind: connection.kind })
    : logger

  const run = await startRun(db, runId, now(), opts.owner ?? null)
  if (!run) {
    const existing = await getRun(db, runId)
    return {
      status: existing?.status ?? 'failed',
      counts: existing?.counts ?? emptyCounts(),
      error: { code: 'busy', message: 'another run of this connection is in progress' },
    }
  }
  const resumeCursor = (run.cursor as any) ?? null
  const counts: RunCounts = { ...emptyCounts(), ...run.counts, skipped: { ...(run.counts?.skipped ?? {}) } }
  const incomplete = new Set<string>(run.incomplete_scopes ?? [])
  const complete = new Set<string>(run.complete_scopes ?? [])
  const progress: Record<string, unknown> = {
    pages: 0,
    records: counts.fetched,
    ...(run.progress ?? {}),
    pausedUntil: null,
  }
  let lastProgressWrite = 0
  const writeProgress = async (force = false) => {
    const t = Date.now()
    if (!force && t - lastProgressWrite < 1000) return
    lastProgressWrite = t
    await saveRunState(db, runId, { counts, progress, now: now() })
  }
  const onProgress = (p: ProgressUpdate) => {
    if (p.pages !== undefined) progress.pages = p.pages
    if (p.total !== undefined) progress.total = p.total
    if (p.message !== undefined) progress.message = p.message
    if (p.pausedUntil !== undefined) progress.pausedUntil = p.pausedUntil ? p.pausedUntil.toISOString() : null
    void writeProgress(p.pausedUntil !== undefined).catch(() => {})
  }

  const ctx = connectionContext(connector, 'read', {
    config: connection.config,
    secrets: connection.secrets,
    signal,
    logger: log,
    allowPrivateNetworks: opts.allowPrivateNetworks,
    now,
    sleep: opts.sleep,
    progress: onProgress,
    http: opts.http,
  })

  // a heartbeat while the connector waits (a rate-limit window can last an hour): a run without one is presumed dead
  const heartbeat = setInterval(() => void saveRunState(db, runId, { progress, now: now() }).catch(() => {}), 30_000)
  heartbeat.unref?.()

  let occBatch: OccurrenceInput[] = []
  // the workspace's repositories, loaded once per run; repositories that appear later re-match waiting findings
  let matcher: RepoMatcher | undefined
  let repoBatch: RepositoryRecord[] = []
  const skip = (reason: string, n = 1) => {
    counts.skipped[reason] = (counts.skipped[reason] ?? 0) + n
  }
  // the cursor of the latest checkpoint whose records are not all written yet
  let pendingCursor: { cursor: unknown } | undefined
  // at most one batch is being written while the next one is read and mapped (network and database overlap)
  let inflight: Promise<void> | undefined
  const drain = async () => {
    const p = inflight
    inflight = undefined
    if (p) await p
  }
  /** starts writing the current batch; the checkpoint read before it is stored once the batch is written */
  const startFlush = async () => {
    await drain()
    const cursor = pendingCursor
    pendingCursor = undefined
    const write = flush()
    inflight = (async () => {
      await write
      if (cursor) {
        await saveRunState(db, runId, {
          counts,
          progress,
          cursor: cursor.cursor,
          incompleteScopes: [...incomplete],
          completeScopes: [...complete],
          now: now(),
        })
        lastProgressWrite = Date.now()
      } else await writeProgress()
    })()
    // an error surfaces at the next drain; keep it from being reported as unhandled meanwhile
    inflight.catch(() => {})
  }
  const flushAndCheckpoint = async () => {
    await startFlush()
    await drain()
  }
  const flush = async () => {
    if (occBatch.length > 0) {
      const rows = occBatch
      occBatch = []
      matcher ??= await loadRepoMatcher(db, connection.workspaceId)
      const r = await writeOccurrenceBatch(db, {
        workspaceId: connection.workspaceId,
        connectionId: connection.id,
        connectionKind: connection.kind,
        runId,
        now: now(),
        rows,
        matcher,
      })
      counts.created += r.created
      counts.updated += r.updated
      counts.unchanged += r.unchanged
      counts.reopened += r.reopened
      counts.unmatched += r.unmatched
      counts.issuesCreated = (counts.issuesCreated ?? 0) + r.issuesCreated
    }
    if (repoBatch.length > 0) {
      const rows = repoBatch
      repoBatch = []
      const r = await writeRepositoryBatch(db, {
        workspaceId: connection.workspaceId,
        connectionId: connection.id,
        runId,
        now: now(),
        rows,
      })
      counts.created += r.created
      counts.updated += r.updated
      counts.unchanged += r.unchanged
    }
  }

  try {
    return await readAndResolve()
  } finally {
    clearInterval(heartbeat)
  }

  async function readAndResolve(): Promise<RunOutcome> {
    try {
      const fetchedAt = now()
      for await (const ev of connector.read(ctx, { selection: connection.locations, cursor: resumeCursor })) {
        if (signal.aborted) throw signal.reason ?? new ShutdownError()
        switch (ev.type) {
          case 'record': {
            counts.fetched++
            progress.records = counts.fetched
            let mapped: ReturnType<typeof connector.map>
            try {
              mapped = connector.map(ev.raw, { fetchedAt })
            } catch (err) {
              log.warn({ err: (err as Error).message }, 'a record could not be mapped; skipped')
              skip('invalid_record')
              break
            }
            if (connector.role === 'scm') {
              if ('skip' in (mapped as object)) skip((mapped as { skip: string }).skip)
              else repoBatch.push(mapped as RepositoryRecord)
            } else if (isSkip(mapped as any)) {
              skip((mapped as { skip: string }).skip)
            } else {
              for (const f of mapped as any[]) {
                try {
                  occBatch.push(toOccurrenceInput(f, ev.raw, ev.scope))
                } catch (err) {
                  if (!(err instanceof InvalidFindingError)) throw err
                  log.warn({ err: err.message }, 'a finding was unusable; skipped')
                  skip('invalid_record')
                }
              }
            }
            if (occBatch.length >= batchSize || repoBatch.length >= batchSize) await startFlush()
            else await writeProgress()
            break
          }
          case 'checkpoint':
            // every record before this cursor is in the batch or written; it is stored once they are all written
            pendingCursor = { cursor: ev.cursor }
            if (
              occBatch.length >= batchSize / 2 ||
              repoBatch.length >= batchSize / 2 ||
              Date.now() - lastProgressWrite > 5_000
            )
              await startFlush()
            break
          case 'skip':
            skip(ev.reason, ev.count ?? 1)
            break
          case 'scope-complete':
            complete.add(ev.scope)
            break
          case 'incomplete':
            incomplete.add(ev.scope)
            log.warn(
              { scope: ev.scope, reason: ev.reason },
              'a location could not be read completely; its findings are kept as they were',
            )
            break
          case 'warning':
            log.warn({ code: ev.code }, ev.message)
            break
        }
      }
      await flushAndCheckpoint()
    } catch (err) {
      const shuttingDown = signal.aborted && (signal.reason instanceof ShutdownError || err instanceof ShutdownError)
      if (shuttingDown) {
        // leave it resumable: what is written stays, the cursor points after it, the job is retried
        await flushAndCheckpoint().catch(() => {})
        await saveRunState(db, runId, {
          counts,
          progress: { ...progress, message: 'interrupted: will resume' },
          incompleteScopes: [...incomplete],
          completeScopes: [...complete],
          now: now(),
        })
        await finishRun(db, runId, { status: 'queued', counts, now: now(), keepCursor: true })
        log.info('run interrupted by shutdown; it will resume from its last checkpoint')
        return { status: 'queued', counts }
      }
      const error = signal.aborted ? { code: 'cancelled', message: 'the run was cancelled' } : describeRunError(err)
      try {
        await drain()
        await flush()
      } catch {
        // the batch in flight is lost; the next run reads it again
      }
      const imported = counts.created + counts.updated + counts.unchanged + counts.reopened > 0
      const status = signal.aborted ? 'cancelled' : imported ? 'partial' : 'failed'
      await finishRun(db, runId, { status, counts, progress: { ...progress, pausedUntil: null }, error, now: now() })
      log.warn({ status, error }, 'sync run did not complete; nothing was resolved')
      return { status, counts, error }
    }

    // the read completed: resolve what is gone, unless the drop is implausible
    const collapse = opts.collapse ?? DEFAULT_COLLAPSE
    const incompleteScopes = [...incomplete]
    let status: RunRow['status'] = 'succeeded'
    let error: RunRow['error'] | undefined
    if (connector.role === 'scm') {
      const plan = await planRepositoryRemoval(db, connection.id, runId)
      if (plan.missing >= collapse.minMissing && plan.missing >= plan.open * collapse.ratio) {
        status = 'held'
        counts.wouldResolve = plan.missing
        error = heldError(plan.missing, plan.open, 'repositories')
      } else {
        counts.resolved += await markRepositoriesRemoved(db, connection.id, runId, now())
      }
      const joined = await rematchUnmatched(db, connection.workspaceId, now())
      if (joined) log.info({ joined }, 'waiting findings joined the queue')
    } else {
      const plan = await planResolution(db, {
        connectionId: connection.id,
        runId,
        incompleteScopes,
        selection: connection.locations,
        completeScopes: connector.resolvesByScope ? [...complete] : null,
      })
      if (plan.missing >= collapse.minMissing && plan.missing >= plan.open * collapse.ratio) {
        status = 'held'
        counts.wouldResolve = plan.missing
        error = heldError(plan.missing, plan.open, 'findings')
      } else {
        const r = await resolveMissing(db, {
          connectionId: connection.id,
          runId,
          incompleteScopes,
          selection: connection.locations,
          completeScopes: connector.resolvesByScope ? [...complete] : null,
          now: now(),
        })
        counts.resolved += r.resolved
        counts.issuesFixed = (counts.issuesFixed ?? 0) + r.issuesFixed
      }
      // what the selection no longer covers leaves the queue (excluded, not fixed)
      const excluded = await excludeDeselected(db, {
        connectionId: connection.id,
        selection: connection.locations,
        now: now(),
      })
      if (excluded) counts.excluded = (counts.excluded ?? 0) + excluded
    }
    await finishRun(db, runId, {
      status,
      counts,
      progress: { ...progress, pausedUntil: null, message: undefined },
      error,
      now: now(),
    })
    log.info({ status, counts }, 'sync run finished')
    return { status, counts, ...(error ? { error } : {}) }
  }
}

const heldError = (missing: number, open: number, what: string): NonNullable<RunRow['error']> => ({
  code: 'suspicious_drop',
  message: `this run no longer saw ${missing} of ${open} open ${what}; a drop that large is more often lost access or an upstream outage than real fixes, so nothing was resolved`,
  hint: 'Check the connection (POST /api/v1/connections/{id}/check). If the findings really are gone, confirm with POST /api/v1/syncs/{runId}/confirm.',
})

/** Applies the resolution a held run did not apply, once a user confirms the drop is real. */
export const confirmHeldRun = async (
  db: Db,
  run: RunRow,
  connection: ConnectionForRun,
  role: 'scanner' | 'scm',
  now: Date,
  resolvesByScope = false,
): Promise<RunCounts> => {
  const counts = { ...run.counts }
  if (role === 'scm') counts.resolved += await markRepositoriesRemoved(db, connection.id, run.id, now)
  else {
    const r = await resolveMissing(db, {
      connectionId: connection.id,
      runId: run.id,
      incompleteScopes: run.incomplete_scopes,
      selection: connection.locations,
      completeScopes: resolvesByScope ? run.complete_scopes : null,
      now,
    })
    counts.resolved += r.resolved
    counts.issuesFixed = (counts.issuesFixed ?? 0) + r.issuesFixed
  }
  counts.wouldResolve = 0
  await finishRun(db, run.id, { status: 'succeeded', counts, now })
  return counts
}
