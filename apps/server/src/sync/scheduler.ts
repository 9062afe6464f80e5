import { type Db, dueConnections, type RunOwner } from '@vulnsync/db'
import cronParser from 'cron-parser'
import { type JobSystem, PRIORITY } from '../jobs.ts'
import { requestRun } from './requests.ts'

/** The advisory-lock class of process leases (the object id is the process's random lease key; ADR 0003). */
export const LEASE_CLASS = 727100

/** How long a running run may go without a heartbeat before any process takes it over. */
const STALE_MS = 3 * 60_000

export const nextCronTime = (cron: string, from: Date): Date =>
  cronParser.parseExpression(cron, { currentDate: from, tz: 'UTC' }).next().toDate()

/** Why a schedule is refused, or null. */
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

export interface SchedulerDeps {
  db: Db
  jobs: Pick<JobSystem, 'enqueueRun'>
  now: () => Date
  /** this process: its own runs are never recovered by itself */
  owner: RunOwner
}

const requeue = async (d: SchedulerDeps, where: string, params: unknown[], message: string) => {
  const { rows } = await d.db.query<{ id: string }>(
    `UPDATE sync_runs SET status = 'queued', progress = progress || jsonb_build_object('message', $1::text)
      WHERE status = 'running' AND ${where} RETURNING id`,
    [message, ...params],
  )
  for (const r of rows) await d.jobs.enqueueRun(r.id, PRIORITY.scheduled)
  return rows.length
}

/**
 * Runs whose process is provably gone go back to the queue at once and resume from their checkpoint: their owner's
 * lease is free (PostgreSQL drops a dead process's advisory locks with its connection; a PGlite database is only
 * ever open in one process). Runs whose owner cannot be judged wait for the stale-heartbeat fallback.
 */
export const recoverOrphanedRuns = async (d: SchedulerDeps): Promise<number> => {
  const { rows } = await d.db.query<{ id: string; owner: RunOwner | null }>(
    `SELECT id, owner FROM sync_runs WHERE status = 'running' AND owner IS NOT NULL`,
  )
  let recovered = 0
  for (const r of rows) {
    const o = r.owner
    if (!o || o.driver !== d.db.driver || !Number.isInteger(o.lease)) continue
    if (o.lease === d.owner.lease && o.pid === d.owner.pid && o.host === d.owner.host) continue
    if (await d.db.leaseHeld(LEASE_CLASS, o.lease)) continue
    recovered += await requeue(
      d,
      `id = $2 AND owner = $3::jsonb`,
      [r.id, JSON.stringify(o)],
      `resuming: the process running it (${o.host}, pid ${o.pid}) stopped`,
    )
  }
  return recovered
}

/** The scheduler's minute: recover runs of dead processes, enqueue due connections. Safe in several processes at once. */
export const tick = async (d: SchedulerDeps): Promise<{ enqueued: number; recovered: number }> => {
  const now = d.now()
  // runs of a process that died: at once when its lease proves it, else after STALE_MS without a heartbeat
  let recovered = await recoverOrphanedRuns(d)
  recovered += await requeue(
    d,
    'heartbeat_at < $2',
    [new Date(now.getTime() - STALE_MS)],
    'resuming after the worker stopped',
  )
  let enqueued = 0
  for (const c of await dueConnections(d.db, now)) {
    // claim: move next_sync_at forward first, so two processes never enqueue the same slot
    const next = nextCronTime(c.schedule_cron, now)
    const claimed = await d.db.query(`UPDATE connections SET next_sync_at = $2 WHERE id = $1 AND next_sync_at = $3`, [
      c.id,
      next,
      c.next_sync_at,
    ])
    if (claimed.rowCount === 0) continue
    const active = await d.db.query(
      `SELECT 1 FROM sync_runs WHERE connection_id = $1 AND status IN ('queued', 'running')`,
      [c.id],
    )
    if (active.rows.length > 0) continue
    await requestRun(d, c, 'scheduled')
    enqueued++
  }
  return { enqueued, recovered }
}
