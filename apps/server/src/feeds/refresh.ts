import { randomUUID } from 'node:crypto'
import type { FeedOutcome } from '@vulnsync/api'
import { downloadFeed, FEEDS, FeedFormatError, type FeedRead } from '@vulnsync/connectors/feeds/index.ts'
import { createHttpClient } from '@vulnsync/connectors/kit/http.ts'
import { type FeedName, type Logger, UpstreamError } from '@vulnsync/core'
import {
  type Actor,
  claimFeed,
  clearFeedChanges,
  type Db,
  dropStaged,
  type FeedRow,
  getFeed,
  issuesOfFeedChanges,
  listFeeds,
  markFeedFinished,
  markFeedRequested,
  mergeStaged,
  type ReprioritiseResult,
  reprioritiseIssues,
  stagedCount,
  stageEpss,
  stageKev,
  vacuumAfterFeed,
} from '@vulnsync/db'
import type { AppConfig } from '../config.ts'
import type { EngineOptions } from '../sync/engine.ts'

/**
 * Refreshing a prioritisation feed: the file (downloaded through the guarded client, or read from disk) is read into
 * staging as it streams, judged, and only then merged; the issues of the CVEs whose values changed are recomputed.
 * A file that cannot be read, or that is implausible (empty, or fewer than half the entries of the data in use), is
 * refused: the data in use stays, and the feed says why. A feed's first load accepts any readable, non-empty file.
 */
export interface FeedDeps {
  db: Db
  logger: Logger
  now: () => Date
  config: Pick<AppConfig, 'feedUrls' | 'allowPrivateNetworks'>
  /** the guarded client's settings (tests: fast backoff) */
  engine?: Pick<EngineOptions, 'http'>
}

export const FEEDS_ACTOR: Actor = { name: 'feeds', kind: 'job' }

/** A feed is downloaded once a day; after a failed refresh, again an hour later. */
export const FEED_INTERVAL_MS = 24 * 3600_000
export const FEED_RETRY_MS = 3600_000

/** Where a feed is downloaded from: the URL saved with PATCH, else the configured one. */
export const feedUrlOf = (cfg: Pick<AppConfig, 'feedUrls'>, feed: Pick<FeedRow, 'name' | 'url'>): string =>
  feed.url ?? cfg.feedUrls[feed.name]

/** When the feed's daily refresh is due next (null while disabled). */
export const nextRefreshAt = (feed: FeedRow): Date | null => {
  if (!feed.enabled) return null
  const last = Math.max(
    feed.finished_at ? new Date(feed.finished_at).getTime() : 0,
    feed.requested_at ? new Date(feed.requested_at).getTime() : 0,
  )
  return new Date(last + (feed.last_error ? FEED_RETRY_MS : FEED_INTERVAL_MS))
}

/** The feeds whose refresh is due at `now`. */
export const dueFeeds = async (db: Db, now: Date): Promise<FeedName[]> =>
  (await listFeeds(db))
    .filter((f) => (nextRefreshAt(f)?.getTime() ?? Number.POSITIVE_INFINITY) <= now.getTime())
    .map((f) => f.name)

/** A refresh is queued or running. */
export const isRefreshing = (feed: FeedRow, now: Date): boolean => {
  const finished = feed.finished_at ? new Date(feed.finished_at).getTime() : 0
  const recent = (d: Date | null) =>
    d !== null && new Date(d).getTime() > finished && now.getTime() - new Date(d).getTime() < 2 * 3600_000
  return recent(feed.requested_at) || recent(feed.started_at)
}

export { markFeedRequested }

/** Why a feed file could not be used, in words. */
export const describeFeedError = (err: unknown): { code: string; message: string } => {
  if (err instanceof FeedFormatError) return { code: err.code, message: err.message }
  if (err instanceof UpstreamError) return { code: err.kind, message: err.message }
  const e = err as NodeJS.ErrnoException
  if (e?.code === 'ENOENT') return { code: 'no_file', message: `no such file: ${e.path ?? ''}` }
  return { code: 'failed', message: e?.message ?? String(err) }
}

/** Reads a feed file into staging, batch by batch (an exhaustive switch: each feed has its own reader and table). */
const readIntoStaging = (
  db: Db,
  name: FeedName,
  loadId: string,
  input: AsyncIterable<Uint8Array>,
): Promise<FeedRead> => {
  switch (name) {
    case 'kev':
      return FEEDS.kev.read(input, async (rows) => {
        await stageKev(db, loadId, rows)
      })
    case 'epss':
      return FEEDS.epss.read(input, async (rows) => {
        await stageEpss(db, loadId, rows)
      })
    default: {
      const never: never = name
      throw new Error(`unknown feed ${never}`)
    }
  }
}

/** Why a readable file is still refused (null: it is used). `force` accepts a drop (a file imported on purpose). */
export const judgeLoad = (
  name: FeedName,
  o: { entries: number; inUse: number; force?: boolean | undefined },
): { code: string; message: string } | null => {
  const title = FEEDS[name].title
  if (o.entries === 0) return { code: 'empty', message: `the ${title} file has no entries` }
  if (!o.force && o.inUse > 0 && o.entries < o.inUse / 2)
    return {
      code: 'implausible',
      message: `the ${title} file has ${o.entries.toLocaleString('en')} entries, fewer than half of the ${o.inUse.toLocaleString('en')} in use`,
    }
  return null
}

export interface LoadSource {
  /** the URL or the file, as the feed will show it */
  label: string
  open(): Promise<AsyncIterable<Uint8Array>>
}

export interface LoadResult extends FeedOutcome {
  error: { code: string; message: string } | null
}

/** Recomputes the issues whose feed values changed (this load's changes, or an interrupted earlier load's). */
export const applyFeedChanges = async (d: FeedDeps, name: FeedName): Promise<ReprioritiseResult> => {
  const ids = await issuesOfFeedChanges(d.db, name)
  const r = await reprioritiseIssues(d.db, ids, { cause: 'feed_refresh', actor: FEEDS_ACTOR, now: d.now() })
  await clearFeedChanges(d.db, name)
  return r
}

/** Loads one feed from a source (claimed, staged, judged, merged, recomputed) and records the outcome on the feed. */
export const loadFeed = async (
  d: FeedDeps,
  name: FeedName,
  source: LoadSource,
  o: { force?: boolean } = {},
): Promise<LoadResult> => {
  const t0 = performance.now()
  if (!(await claimFeed(d.db, name, d.now())))
    throw new FeedBusyError(`a refresh of the ${FEEDS[name].title} feed is already running`)
  const before = await getFeed(d.db, name)
  const loadId = randomUUID()
  let read: FeedRead | null = null
  let entries: number | null = null
  let error: { code: string; message: string } | null = null
  let changedCves = 0
  try {
    read = await readIntoStaging(d.db, name, loadId, await source.open())
    entries = await stagedCount(d.db, name, loadId)
    error = judgeLoad(name, { entries, inUse: before.entries, force: o.force })
    if (!error)
      changedCves = (
        await mergeStaged(d.db, name, loadId, {
          feedDate: read.feedDate ?? d.now().toISOString().slice(0, 10),
          firstLoad: before.loaded_at === null,
        })
      ).changed
  } catch (err) {
    error = describeFeedError(err)
  } finally {
    await dropStaged(d.db, name, loadId)
  }
  if (error && before.entries > 0) error.message += `: kept the ${before.entries.toLocaleString('en')} entries in use`
  let re: ReprioritiseResult = { moves: [], changed: 0, examined: 0, written: 0 }
  let recomputeError: unknown = null
  try {
    re = await applyFeedChanges(d, name)
  } catch (err) {
    recomputeError = err
  }
  const outcome: FeedOutcome = {
    status: error ? (read ? 'refused' : 'failed') : 'loaded',
    source: source.label,
    entries,
    previousEntries: before.entries,
    skipped: read?.skipped ?? 0,
    skippedExamples: read?.skippedExamples ?? [],
    changedCves,
    issuesExamined: re.examined,
    priorityChanged: re.changed,
    moves: re.moves,
    durationMs: Math.round(performance.now() - t0),
  }
  await markFeedFinished(d.db, name, {
    at: d.now(),
    error: error ?? (recomputeError ? describeFeedError(recomputeError) : null),
    outcome,
    loaded:
      error || entries === null
        ? undefined
        : { entries, feedDate: read?.feedDate ?? null, version: read?.version ?? null, from: source.label },
  })
  // PGlite has no autovacuum: without this each daily EPSS file grew the database by about 56 MB for good (ADR 0016)
  if (d.db.driver === 'pglite')
    await vacuumAfterFeed(d.db, name).catch((err) =>
      d.logger.warn({ feed: name, err: (err as Error).message }, 'not vacuumed after the feed refresh'),
    )
  d.logger[error ? 'warn' : 'info'](
    { feed: name, ...outcome, moves: undefined, error },
    error ? 'feed refresh kept the data in use' : 'feed refreshed',
  )
  if (recomputeError) throw recomputeError
  return { ...outcome, error }
}

export class FeedBusyError extends Error {}

/** Downloads a feed from its URL through the guarded client and loads it (the job's work). */
export const refreshFeed = async (d: FeedDeps, name: FeedName, signal?: AbortSignal): Promise<LoadResult | null> => {
  const feed = await getFeed(d.db, name)
  if (!feed.enabled) return null
  const url = feedUrlOf(d.config, feed)
  const http = createHttpClient({
    allowPrivateNetworks: d.config.allowPrivateNetworks,
    logger: d.logger,
    signal,
    maxRetries: 2,
    ...d.engine?.http,
  })
  return loadFeed(d, name, { label: url, open: () => downloadFeed(http, url) })
}
