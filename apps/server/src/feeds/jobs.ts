import { type FeedName, isFeedName } from '@vulnsync/core'
import type { JobSystem } from '../jobs.ts'
import { dueFeeds, FeedBusyError, type FeedDeps, markFeedRequested, refreshFeed } from './refresh.ts'

/** What requesting a refresh needs: the feeds' database and the job queue. */
export interface FeedJobDeps extends FeedDeps {
  jobs: Pick<JobSystem, 'enqueueFeedRefresh'>
}

/** Queues a refresh of a feed (it runs as a job; GET /api/v1/feeds shows its outcome). */
export const requestFeedRefresh = async (d: FeedJobDeps, name: FeedName): Promise<void> => {
  await markFeedRequested(d.db, name, d.now())
  await d.jobs.enqueueFeedRefresh(name)
}

/** The scheduler's part: every enabled feed once a day (an hour after a failure). */
export const requestDueFeeds = async (d: FeedJobDeps): Promise<FeedName[]> => {
  const due = await dueFeeds(d.db, d.now())
  for (const name of due) await requestFeedRefresh(d, name)
  return due
}

/** The job handler: a refresh already running elsewhere is left to finish. */
export const runFeedJob = async (d: FeedDeps, feed: string, signal: AbortSignal): Promise<void> => {
  if (!isFeedName(feed)) {
    d.logger.warn({ feed }, 'refresh of an unknown feed ignored')
    return
  }
  try {
    await refreshFeed(d, feed, signal)
  } catch (err) {
    if (err instanceof FeedBusyError) d.logger.info({ feed }, err.message)
    else d.logger.error({ feed, err: (err as Error).message }, 'feed refresh failed')
  }
}
