import type { Feed, FeedOutcome } from '@vulnsync/api'
import { FEEDS } from '@vulnsync/connectors/feeds/index.ts'
import type { FeedRow } from '@vulnsync/db'
import type { AppConfig } from '../../config.ts'
import { feedUrlOf, isRefreshing, nextRefreshAt } from '../../feeds/refresh.ts'
import { iso } from './time.ts'

export const presentFeed = (f: FeedRow, ctx: { config: Pick<AppConfig, 'feedUrls'>; now: Date }): Feed => ({
  name: f.name,
  title: FEEDS[f.name].title,
  url: feedUrlOf(ctx.config, f),
  defaultUrl: ctx.config.feedUrls[f.name],
  enabled: f.enabled,
  lastRefreshAt: iso(f.finished_at),
  entries: f.entries,
  feedDate: f.feed_date,
  version: f.version,
  loadedAt: iso(f.loaded_at),
  loadedFrom: f.loaded_from,
  lastError: f.last_error ? { code: f.last_error.code, message: f.last_error.message } : null,
  lastOutcome: (f.last_outcome as FeedOutcome | null) ?? null,
  refreshing: isRefreshing(f, ctx.now),
  nextRefreshAt: iso(nextRefreshAt(f)),
})
