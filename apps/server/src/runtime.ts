import { checkConnector, connectionContext } from '@vulnsync/connectors'
import type { AnyConnector } from '@vulnsync/core'
import {
  type ConnectionRow,
  createRun,
  type Db,
  dueConnections,
  finishRun,
  getConnectionById,
  getRun,
  type RunOwner,
  type RunRow,
  type RunTrigger,
  updateConnection,
} from '@vulnsync/db'
import cronParser from 'cron-parser'
import type { AppConfig } from './config.ts'
import { type ConnectionForRun, type EngineOptions, executeRun } from './ingest/engine.ts'
import { BusyError, createJobSystem, type JobSystem, PRIORITY } from './jobs.ts'
import type { AppLogger } from './logger.ts'
import type { SecretBox } from './secrets.ts'

export type Registry = Record<string, AnyConnector>

/** The connector of a kind, looked up by the registry's own keys only (`constructor` or `__proto__` is no kind). */
export const connectorOf = (registry: Registry, kind: string): AnyConnector | undefined =>
  Object.hasOwn(registry, kind) ? registry[kind] : undefined

/** Everything a request handler, worker or CLI command needs, built once at start. */
export interface Runtime {
  config: AppConfig
  db: Db
  logger: AppLogger
  box: SecretBox
  connectors: Registry
  workspaceId: string
  jobs: JobSystem
  engine: Partial<EngineOptions>
  now: () => Date
  /** this process, as recorded on the runs it starts; its lease is held for as long as the database is open */
  owner: RunOwner
}

/** The advisory-lock class of process leases (the object id is the process's random lease key). */
export const LEASE_CLASS = 727100

export const nextCronTime = (cron: string, from: Date): Date =>
  cronParser.parseExpression(cron, { currentDate: from, tz: 'UTC' }).next().toDate()

export const validateCron = (cron: string): string | null => {
  try {
    const it = cronParser.parseExpression(cron, { tz: 'UTC' })
    const a = it.next().toDate().getTime()
    const b = it.next().toDate().getTime()
    if (b - a < 5 * 60_000) return 'the schedule runs more often than every 5 minutes; choose a longer interval'
    return null
  } catch (err) {
    return `not a valid cron expression: ${(err as Error).message}`
  }
}

export const connectionForRun = (rt: Runtime, c: ConnectionRow): ConnectionForRun => ({
  id: c.id,
  workspaceId: c.workspace_id,
  kind: c.kind,
  name: c.name,
  config: c.config,
  secrets: rt.box.open(c.secrets_enc),
  locations: c.locations,
})

/** Queues a run of a connection. A manual request while a run is queued upgrades that run instead of adding one. */
export const requestRun = async (rt: Runtime, c: ConnectionRow, trigger: RunTrigger): Promise<RunRow> => {
  const { rows } = await rt.db.query<RunRow>(
    `SELECT * FROM sync_runs WHERE connection_id = $1 AND status = 'queued' AND started_at IS NULL ORDER BY queued_at LIMIT 1`,
    [c.id],
  )
  const queued = rows[0]
  if (queued) {
    if (trigger === 'manual' && queued.trigger !== 'manual') {
      await rt.db.query(`UPDATE sync_runs SET trigger = 'manual' WHERE id = $1`, [queued.id])
      await rt.jobs.enqueueRun(queued.id, PRIORITY.manual)
      return { ...queued, trigger: 'manual' }
    }
    return queued
  }
  const run = await createRun(rt.db, { workspaceId: c.workspace_id, connectionId: c.id, trigger })
  const jobId = await rt.jobs.enqueueRun(run.id, PRIORITY[trigger])
  if (jobId) await rt.db.query(`UPDATE sync_runs SET job_id = $2 WHERE id = $1`, [run.id, jobId])
  return run
}

/** The job handler: run or resume one sync run. */
export const runSyncJob = async (rt: Runtime, runId: string, signal: AbortSignal): Promise<void> => {
  const run = await getRun(rt.db, runId)
  if (run?.status !== 'queued') return // finished, cancelled, or taken by another worker: nothing to do
  const c = await getConnectionById(rt.db, run.connection_id)
  if (!c) {
    await finishRun(rt.db, runId, {
      status: 'cancelled',
      counts: run.counts,
      error: { code: 'disconnected', message: 'the connection was removed before the run started' },
      now: rt.now(),
    })
    return
  }
  const connector = connectorOf(rt.connectors, c.kind)
  if (!connector) {
    await finishRun(rt.db, runId, {
      status: 'failed',
      counts: run.counts,
      error: { code: 'unknown_kind', message: `no connector for kind ${c.kind}` },
      now: rt.now(),
    })
    return
  }
  let conn: ConnectionForRun
  try {
    conn = connectionForRun(rt, c)
  } catch (err) {
    await finishRun(rt.db, runId, {
      status: 'failed',
      counts: run.counts,
      error: { code: 'secrets', message: (err as Error).message },
      now: rt.now(),
    })
    return
  }
  const out = await executeRun(
    {
      db: rt.db,
      logger: rt.logger,
      allowPrivateNetworks: rt.config.allowPrivateNetworks,
      now: rt.now,
      owner: rt.owner,
      ...rt.engine,
    },
    connector,
    conn,
    runId,
    signal,
  )
  // the database refuses a second running run of one connection (sync_runs_one_active): wait and retry
  if (out.error?.code === 'busy') throw new BusyError(`${out.error.message}; run ${runId} waits`)
  await updateConnection(rt.db, c.workspace_id, c.id, { status: out.status === 'failed' ? 'error' : 'active' })
  // interrupted by a shutdown: hand the run to the next worker at once (it resumes from its checkpoint)
  if (out.status === 'queued' && signal.aborted) await rt.jobs.enqueueRun(runId, PRIORITY.initial)
}

const STALE_MS = 3 * 60_000

const requeue = async (rt: Runtime, where: string, params: unknown[], message: string) => {
  const { rows } = await rt.db.query<{ id: string }>(
    `UPDATE sync_runs SET status = 'queued', progress = progress || jsonb_build_object('message', $1::text)
      WHERE status = 'running' AND ${where} RETURNING id`,
    [message, ...params],
  )
  for (const r of rows) await rt.jobs.enqueueRun(r.id, PRIORITY.scheduled)
  return rows.length
}

/**
 * Runs whose process is provably gone go back to the queue at once and resume from their checkpoint: their owner's
 * lease is free (PostgreSQL drops a dead process's advisory locks with its connection; a PGlite database is only
 * ever open in one process). Runs whose owner cannot be judged wait for the stale-heartbeat fallback.
 */
export const recoverOrphanedRuns = async (rt: Runtime): Promise<number> => {
  const { rows } = await rt.db.query<{ id: string; owner: RunOwner | null }>(
    `SELECT id, owner FROM sync_runs WHERE status = 'running' AND owner IS NOT NULL`,
  )
  let recovered = 0
  for (const r of rows) {
    const o = r.owner
    if (!o || o.driver !== rt.db.driver || !Number.isInteger(o.lease)) continue
    if (o.lease === rt.owner.lease && o.pid === rt.owner.pid && o.host === rt.owner.host) continue
    if (await rt.db.leaseHeld(LEASE_CLASS, o.lease)) continue
    recovered += await requeue(
      rt,
      `id = $2 AND owner = $3::jsonb`,
      [r.id, JSON.stringify(o)],
      `resuming: the process running it (${o.host}, pid ${o.pid}) stopped`,
    )
  }
  return recovered
}

/** The scheduler's minute. Safe to run in several processes at once. */
export const tick = async (rt: Runtime): Promise<{ enqueued: number; recovered: number }> => {
  const now = rt.now()
  // runs of a process that died: at once when its lease proves it, else after STALE_MS without a heartbeat
  let recovered = await recoverOrphanedRuns(rt)
  recovered += await requeue(
    rt,
    'heartbeat_at < $2',
    [new Date(now.getTime() - STALE_MS)],
    'resuming after the worker stopped',
  )
  let enqueued = 0
  for (const c of await dueConnections(rt.db, now)) {
    // claim: move next_sync_at forward first, so two processes never enqueue the same slot
    const next = nextCronTime(c.schedule_cron, now)
    const claimed = await rt.db.query(`UPDATE connections SET next_sync_at = $2 WHERE id = $1 AND next_sync_at = $3`, [
      c.id,
      next,
      c.next_sync_at,
    ])
    if (claimed.rowCount === 0) continue
    const active = await rt.db.query(
      `SELECT 1 FROM sync_runs WHERE connection_id = $1 AND status IN ('queued', 'running')`,
      [c.id],
    )
    if (active.rows.length > 0) continue
    await requestRun(rt, c, 'scheduled')
    enqueued++
  }
  return { enqueued, recovered }
}

export const createRuntimeJobs = (rt: Omit<Runtime, 'jobs'>, o: { pollingIntervalSeconds?: number } = {}): JobSystem =>
  createJobSystem({
    db: rt.db,
    logger: rt.logger,
    concurrency: rt.config.workerConcurrency,
    pollingIntervalSeconds: o.pollingIntervalSeconds,
    handlers: {
      runSync: (runId, signal) => runSyncJob(rt as Runtime, runId, signal),
      tick: async () => {
        await tick(rt as Runtime)
      },
    },
  })

/** Runs a connector's check with the connection's (decrypted or candidate) credentials. */
export const runCheck = async (rt: Runtime, connector: AnyConnector, config: unknown, secrets: unknown) =>
  checkConnector(
    connector,
    connectionContext(connector, 'check', {
      config,
      secrets,
      logger: rt.logger,
      allowPrivateNetworks: rt.config.allowPrivateNetworks,
      http: rt.engine.http,
      sleep: rt.engine.sleep,
    }),
  )
