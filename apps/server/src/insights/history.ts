import { type Db, ensureDailySnapshot, getSlaPolicy, refreshCoverage, takeSnapshot } from '@vulnsync/db'
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
}

/**
 * The end of a sync: what the connection covers rebuilt (scanner overlap), and today's snapshot taken again, so the
 * dashboard shows what the sync changed.
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
}
