import { SEVERITIES } from '@vulnsync/core'
import { type Db, outboundBacklog } from '@vulnsync/db'
import { Registry } from './registry.ts'

const RUN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200]
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export const statusClass = (status: number): string =>
  status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other'

/**
 * vulnsync's metrics. Counters and histograms count what this process did (each process exposes its own; sum them
 * over instances); gauges read the shared database when scraped (take one instance's, or max over instances).
 * Labels are bounded sets only: connector kinds, outcomes, reasons, routes, priorities; never a repository, a CVE
 * or a user.
 */
export const createMetrics = (o: { db: Db; version: string }) => {
  const r = new Registry()
  const m = {
    registry: r,
    syncRuns: r.counter('vulnsync_sync_runs_total', 'Sync runs finished, by connector kind and outcome.', [
      'connector_kind',
      'outcome',
    ]),
    syncDuration: r.histogram(
      'vulnsync_sync_run_duration_seconds',
      'How long finished sync runs took, by connector kind.',
      ['connector_kind'],
      RUN_BUCKETS,
    ),
    recordsFetched: r.counter('vulnsync_sync_records_fetched_total', 'Records read from upstream by sync runs.', [
      'connector_kind',
    ]),
    recordsSkipped: r.counter(
      'vulnsync_sync_records_skipped_total',
      'Records sync runs skipped, by connector kind and reason.',
      ['connector_kind', 'reason'],
    ),
    upstreamRequests: r.counter(
      'vulnsync_upstream_requests_total',
      'Requests to vendor APIs (each attempt), by connector kind and status class.',
      ['connector_kind', 'status_class'],
    ),
    upstreamRateLimited: r.counter(
      'vulnsync_upstream_rate_limited_total',
      'Vendor answers of HTTP 429 (rate limited), by connector kind.',
      ['connector_kind'],
    ),
    httpDuration: r.histogram(
      'vulnsync_http_request_duration_seconds',
      'Time to answer HTTP requests, by route pattern, method and status class.',
      ['route', 'method', 'status_class'],
      HTTP_BUCKETS,
    ),
    deliveries: r.counter(
      'vulnsync_webhook_deliveries_total',
      'Webhook and Slack delivery attempts, by subscription kind and outcome.',
      ['kind', 'outcome'],
    ),
    trackerEvents: r.counter(
      'vulnsync_tracker_changes_total',
      'Ticket changes taken in from trackers (webhooks and reconciliation), by result: applied, stale, own, unknown.',
      ['connector_kind', 'source', 'result'],
    ),
    trackerPushes: r.counter('vulnsync_tracker_pushes_total', 'Pushes of ticket changes to trackers, by outcome.', [
      'connector_kind',
      'outcome',
    ]),
  }
  r.gauge('vulnsync_build_info', 'The vulnsync version (always 1).', async () => [
    { labels: { version: o.version }, value: 1 },
  ])
  r.gauge('vulnsync_job_queue_depth', 'Jobs waiting or running, by queue and state.', async () => {
    const { rows } = await o.db.query<{ name: string; state: string; n: number }>(
      `SELECT name, state::text AS state, count(*)::int AS n FROM pgboss.job
        WHERE state IN ('created', 'retry', 'active') GROUP BY name, state`,
    )
    return rows.map((x) => ({ labels: { queue: x.name, state: x.state }, value: x.n }))
  })
  r.gauge('vulnsync_open_issues', 'Open issues, by priority.', async () => {
    const { rows } = await o.db.query<{ priority: string; n: number }>(
      `SELECT priority, count(*)::int AS n FROM issues WHERE status = 'open' GROUP BY priority`,
    )
    return SEVERITIES.map((p) => ({ labels: { priority: p }, value: rows.find((x) => x.priority === p)?.n ?? 0 }))
  })
  r.gauge('vulnsync_sla_breached_issues', 'Open issues past their SLA due date, by priority.', async () => {
    const { rows } = await o.db.query<{ priority: string; n: number }>(
      `SELECT priority, count(*)::int AS n FROM issues WHERE status = 'open' AND sla_due_at < now() GROUP BY priority`,
    )
    return SEVERITIES.map((p) => ({ labels: { priority: p }, value: rows.find((x) => x.priority === p)?.n ?? 0 }))
  })
  r.gauge('vulnsync_outbound_backlog', 'Webhook deliveries and ticket pushes waiting to be sent.', async () => {
    const b = await outboundBacklog(o.db)
    return [
      { labels: { kind: 'webhook_delivery' }, value: b.deliveries },
      { labels: { kind: 'tracker_push' }, value: b.tickets },
    ]
  })
  return m
}

export type Metrics = ReturnType<typeof createMetrics>
