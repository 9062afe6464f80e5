import type { Db } from '@vulnsync/db'
import PgBoss from 'pg-boss'
import type { AppLogger } from './logger.ts'

export const SYNC_QUEUE = 'vulnsync-sync'
export const TICK_QUEUE = 'vulnsync-tick'
/** refreshes of the prioritisation feeds: at most one queued and one running per feed (stately, keyed by name) */
export const FEED_QUEUE = 'vulnsync-feeds'
/** the outbound job: the outbox, webhook and Slack deliveries, ticket pushes; apart from syncs */
export const OUTBOUND_QUEUE = 'vulnsync-outbound'

export const PRIORITY = { manual: 10, initial: 5, scheduled: 0, rematch: 0 } as const

export interface JobSystem {
  start(o: { workers: boolean; scheduler: boolean }): Promise<void>
  enqueueRun(runId: string, priority: number): Promise<string | null>
  /** null when a refresh of that feed is queued already */
  enqueueFeedRefresh(feed: string): Promise<string | null>
  /** asks for an outbound pass soon (one waits at most: a second request while one is queued is dropped) */
  enqueueOutbound(): Promise<void>
  stop(): Promise<void>
  readonly boss: PgBoss
}

export interface JobHandlers {
  /** runs (or resumes) one sync run; throws BusyError to be retried later */
  runSync(runId: string, signal: AbortSignal): Promise<void>
  /** the scheduler's minute: enqueue due connections, recover runs whose process died */
  tick(): Promise<void>
  /** downloads and loads one prioritisation feed */
  refreshFeed(feed: string, signal: AbortSignal): Promise<void>
  /** one pass of the outbound job */
  outbound(): Promise<void>
}

export class BusyError extends Error {}

/**
 * pg-boss on the same database as everything else (PGlite or PostgreSQL). One queue of sync runs shared by every
 * worker process; one cron tick a minute (pg-boss makes sure one process takes it) that enqueues what is due.
 * One run per connection at a time is enforced by the database (a unique index on running runs), so it holds
 * across processes and machines whatever the queue does.
 */
export const createJobSystem = (o: {
  db: Db
  logger: AppLogger
  handlers: JobHandlers
  concurrency: number
  pollingIntervalSeconds?: number
}): JobSystem => {
  const boss = new PgBoss({
    db: { executeSql: (text: string, values?: unknown[]) => o.db.executeSql(text, values) },
    schema: 'pgboss',
    // pg-boss's own housekeeping; runs are recovered by our heartbeat, so jobs may live long (rate-limit pauses)
    maintenanceIntervalSeconds: 120,
  } as any)
  boss.on('error', (err) => o.logger.error({ err: err.message }, 'job system error'))
  const shutdown = new AbortController()
  let started = false

  return {
    boss,
    async start({ workers, scheduler }) {
      await boss.start()
      started = true
      await boss.createQueue(SYNC_QUEUE, {
        name: SYNC_QUEUE,
        policy: 'standard',
        retryLimit: 100_000,
        retryDelay: 15,
        retryBackoff: false,
        expireInSeconds: 23 * 3600,
      } as any)
      await boss.createQueue(TICK_QUEUE, {
        name: TICK_QUEUE,
        policy: 'singleton',
        retryLimit: 0,
        expireInSeconds: 600,
      } as any)
      await boss.createQueue(FEED_QUEUE, {
        name: FEED_QUEUE,
        policy: 'stately',
        // a failed refresh is tried again by the daily schedule an hour later
        retryLimit: 0,
        expireInSeconds: 2 * 3600,
      } as any)
      await boss.createQueue(OUTBOUND_QUEUE, {
        name: OUTBOUND_QUEUE,
        policy: 'singleton',
        retryLimit: 0,
        expireInSeconds: 900,
      } as any)
      if (scheduler) await boss.schedule(TICK_QUEUE, '* * * * *', {}, { tz: 'UTC' })
      if (workers) {
        const polling = o.pollingIntervalSeconds ?? 2
        for (let i = 0; i < o.concurrency; i++)
          await boss.work(SYNC_QUEUE, { batchSize: 1, pollingIntervalSeconds: polling }, async (jobs: any[]) => {
            for (const job of jobs) await o.handlers.runSync(job.data.runId, shutdown.signal)
          })
        await boss.work(TICK_QUEUE, { batchSize: 1, pollingIntervalSeconds: Math.max(polling, 5) }, async () => {
          await o.handlers.tick()
        })
        await boss.work(FEED_QUEUE, { batchSize: 1, pollingIntervalSeconds: polling }, async (jobs: any[]) => {
          for (const job of jobs) await o.handlers.refreshFeed(job.data.feed, shutdown.signal)
        })
        await boss.work(OUTBOUND_QUEUE, { batchSize: 1, pollingIntervalSeconds: Math.max(polling, 2) }, async () => {
          await o.handlers.outbound()
        })
      }
    },
    async enqueueRun(runId, priority) {
      return boss.send(SYNC_QUEUE, { runId }, { priority })
    },
    async enqueueFeedRefresh(feed) {
      return boss.send(FEED_QUEUE, { feed }, { singletonKey: feed })
    },
    async enqueueOutbound() {
      if (started) await boss.send(OUTBOUND_QUEUE, {}, { singletonKey: 'outbound' } as any)
    },
    async stop() {
      if (!started) return
      started = false
      const { ShutdownError } = await import('./sync/engine.ts')
      shutdown.abort(new ShutdownError())
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 } as any)
    },
  }
}
