import type { PackageRegistries } from '@vulnsync/connectors'
import type { Db, RunOwner } from '@vulnsync/db'
import type { AppConfig } from './config.ts'
import { vacuumDaily } from './embedded-maintenance.ts'
import { requestDueFeeds, runFeedJob } from './feeds/jobs.ts'
import { keepDailyHistory } from './insights/history.ts'
import { createJobSystem, type JobSystem } from './jobs.ts'
import type { AppLogger } from './logger.ts'
import type { Metrics } from './metrics/vulnsync.ts'
import { runOutbound } from './outbound/job.ts'
import type { SecretBox } from './secrets.ts'
import type { Registry } from './sync/connection.ts'
import type { EngineOptions } from './sync/engine.ts'
import { runSyncJob } from './sync/job.ts'
import { tick } from './sync/scheduler.ts'
import { expireDecisions } from './workflow/decisions.ts'

export type { Registry }

/**
 * The parts of a running vulnsync, assembled once at start (bootstrap.ts). It is the composition root: the HTTP
 * routes receive it, and everything they call declares the few parts it needs (`runSyncJob` takes `JobDeps`,
 * `tick` takes `SchedulerDeps`, `runCheck` takes engine settings), so a runtime can be passed where those are asked.
 */
export interface Runtime {
  config: AppConfig
  db: Db
  logger: AppLogger
  box: SecretBox
  connectors: Registry
  workspaceId: string
  jobs: JobSystem
  /** how runs are executed in this process: the database, logger, network policy, owner and (in tests) fast waits */
  engine: EngineOptions
  now: () => Date
  /** this process, as recorded on the runs it starts; its lease is held for as long as the database is open */
  owner: RunOwner
  /** fix plans' package registries (a short cache shared by every request) */
  registries: PackageRegistries
  /** this process's counters and the database gauges of /metrics */
  metrics: Metrics
}

/** The job system of a runtime: sync runs, and the scheduler's minute. */
export const createRuntimeJobs = (
  rt: Omit<Runtime, 'jobs'>,
  o: { pollingIntervalSeconds?: number } = {},
): JobSystem => {
  const deps = rt as Runtime
  const jobs = createJobSystem({
    db: rt.db,
    logger: rt.logger,
    concurrency: rt.config.workerConcurrency,
    pollingIntervalSeconds: o.pollingIntervalSeconds,
    handlers: {
      runSync: (runId, signal) => runSyncJob(deps, runId, signal),
      // the scheduler's minute: due syncs and dead processes' runs, decisions whose expiry passed, due feed refreshes,
      // the day's insight snapshot, an outbound pass, and on PGlite the day's VACUUM
      tick: async () => {
        await tick(deps)
        await expireDecisions(deps.db, deps.now())
        await requestDueFeeds(deps)
        await keepDailyHistory(deps)
        await jobs.enqueueOutbound()
        await vacuumDaily(deps)
      },
      outbound: async () => {
        await runOutbound(deps)
      },
      refreshFeed: (feed, signal) => runFeedJob(deps, feed, signal),
    },
  })
  return jobs
}
