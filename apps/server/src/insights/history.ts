import { type Db, ensureDailySnapshot, getSlaPolicy, refreshCoverage, rollFlows, takeSnapshot } from '@vulnsync/db'
import type { AppLogger } from '../logger.ts'

/** What keeping the insight history needs. */
export interface HistoryDeps {
  db: Db
  logger: AppLogger
  workspaceId: string
  now: () => Date
  config: { insightsRetentionDays: number }
}

/**
 * The daily part of the scheduler's minute: once a day (the first minute of the UTC day that finds no snapshot), the
 * snapshot of the open issues; on the first run after the upgrade, the history rebuilt from the issues' dates; and
 * the days beyond the retention dropped. A failure is logged and tried again the next minute.
 */
export const keepDailyHistory = async (d: HistoryDeps): Promise<void> => {
  try {
    const policy = await getSlaPolicy(d.db, d.workspaceId)
    const r = await ensureDailySnapshot(d.db, d.workspaceId, {
      now: d.now(),
      dueSoonDays: policy.dueSoonDays,
      retentionDays: d.config.insightsRetentionDays,
    })
    if (r.taken) d.logger.info(r, 'insights: daily snapshot taken')
  } catch (err) {
    d.logger.warn({ err: (err as Error).message }, 'insights: daily snapshot failed; the next minute tries again')
  }
  await keepFlows(d, false)
}

/**
 * The end of a sync: what the connection covers rebuilt and its sources' detections filled in (scanner overlap),
 * today's snapshot taken again, so the dashboard shows what the sync changed, and the flows of the periods its new
 * issues fall in counted again.
 */
export const snapshotAfterSync = async (d: HistoryDeps, connectionId?: string): Promise<void> => {
  if (connectionId)
    await refreshCoverage(d.db, d.workspaceId, connectionId).catch((err) =>
      d.logger.warn({ err: (err as Error).message }, 'insights: coverage after the sync not refreshed'),
    )
  try {
    const policy = await getSlaPolicy(d.db, d.workspaceId)
    await takeSnapshot(d.db, d.workspaceId, { now: d.now(), dueSoonDays: policy.dueSoonDays, origin: 'sync' })
  } catch (err) {
    d.logger.warn({ err: (err as Error).message }, 'insights: snapshot after the sync failed')
  }
  await keepFlows(d, true)
}

/**
 * The rolled-up flows (new versus fixed over long windows): the periods completed since the last roll, and with
 * `late` (the end of a sync) the rolled periods its new issues fall in. A failure is logged; the next call catches up.
 */
const keepFlows = async (d: HistoryDeps, late: boolean): Promise<void> => {
  try {
    const r = await rollFlows(d.db, d.workspaceId, { now: d.now(), late })
    if (r.rolled || r.recounted) d.logger.info(r, 'insights: flows rolled up')
  } catch (err) {
    d.logger.warn({ err: (err as Error).message }, 'insights: rolling up the flows failed; the next call catches up')
  }
}
