import { type EpssValue, renderEpssMarks } from '@vulnsync/core'
import type { Queryable } from './driver.ts'
import { EPSS_NOW } from './queue-store.ts'

/**
 * The outbox (ADR 0012): readers of the timeline (`issue_events`) and of new issues keep a cursor of (transaction,
 * id) and take only rows of finished transactions, so nothing in a sync or the workflow waits for a receiver and
 * no row is skipped. What subscribers see are `outbound_events` (once each, by a dedupe key), fanned out to
 * `webhook_deliveries` that the delivery job sends with retries.
 */

export const NOTIFICATION_TYPES = [
  'issue.new',
  'issue.fixed',
  'issue.fix_merged',
  'sla.due_soon',
  'sla.breached',
  'decision.expiring',
  'sync.failed',
  'sync.held',
] as const
export type NotificationType = (typeof NOTIFICATION_TYPES)[number]

export interface OutboxCursor {
  name: string
  event_tx: string
  event_id: number
  issue_tx: string
  issue_id: number
  scanned_at: Date
  /** when the reader began: what happened before is not news */
  started_at: Date
}

/** The cursor of a reader, locked for the caller's transaction; a new one starts at what is committed now. */
export const lockCursor = async (tx: Queryable, name: string, now: Date): Promise<OutboxCursor> => {
  await tx.query(
    `INSERT INTO outbound_cursors (name, event_tx, issue_tx, scanned_at, started_at)
     SELECT $1, x, x, $2, $2 FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x) s
     ON CONFLICT (name) DO NOTHING`,
    [name, now],
  )
  return (
    await tx.query<OutboxCursor>(
      `SELECT name, event_tx::text AS event_tx, event_id, issue_tx::text AS issue_tx, issue_id, scanned_at, started_at
         FROM outbound_cursors WHERE name = $1 FOR UPDATE`,
      [name],
    )
  ).rows[0]!
}

export const saveCursor = (tx: Queryable, c: OutboxCursor) =>
  tx.query(
    `UPDATE outbound_cursors SET event_tx = $2::xid8, event_id = $3, issue_tx = $4::xid8, issue_id = $5, scanned_at = $6,
            updated_at = now() WHERE name = $1`,
    [c.name, c.event_tx, c.event_id, c.issue_tx, c.issue_id, c.scanned_at],
  )

export interface TimelineRow {
  id: number
  tx: string
  workspace_id: string
  issue_id: number
  type: string
  detail: Record<string, unknown>
  actor: string
  actor_kind: string
  at: Date
}

/** Timeline entries after the cursor, of finished transactions only, in (tx, id) order. */
export const timelineAfter = async (tx: Queryable, c: OutboxCursor, limit: number): Promise<TimelineRow[]> =>
  (
    await tx.query<TimelineRow>(
      `SELECT e.id, e.tx::text AS tx, e.workspace_id, e.issue_id, e.type, e.detail, e.actor, e.actor_kind, e.at
         FROM issue_events e
        WHERE e.tx IS NOT NULL AND (e.tx, e.id) > ($1::xid8, $2::bigint)
          AND e.tx < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY e.tx, e.id LIMIT $3`,
      [c.event_tx, c.event_id, limit],
    )
  ).rows

/** Issues created after the cursor, of finished transactions only. */
export const issuesCreatedAfter = async (
  tx: Queryable,
  c: OutboxCursor,
  limit: number,
): Promise<{ id: number; tx: string }[]> =>
  (
    await tx.query<{ id: number; tx: string }>(
      `SELECT i.id, i.created_tx::text AS tx FROM issues i
        WHERE i.created_tx IS NOT NULL AND (i.created_tx, i.id) > ($1::xid8, $2::bigint)
          AND i.created_tx < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY i.created_tx, i.id LIMIT $3`,
      [c.issue_tx, c.issue_id, limit],
    )
  ).rows

/** An issue as events and tickets describe it. */
export interface IssueBriefRow {
  id: number
  workspace_id: string
  cve: string
  aliases: string[]
  target_key: string
  target_name: string
  target_url: string | null
  package_key: string
  package_name: string
  ecosystem: string
  versions: string[]
  fixed_versions: string[]
  severity: string
  priority: string
  priority_rank: number
  explanation: string
  status: string
  stage: string
  sla_due_at: Date | null
  assignee_name: string | null
  sources: string[] | null
}

/** What tickets and events say of issues; the sentence with the EPSS value as it is now (stored as a mark). */
export const issueBriefs = async (db: Queryable, ids: number[]): Promise<IssueBriefRow[]> =>
  ids.length === 0
    ? []
    : (
        await db.query<IssueBriefRow & { epss: EpssValue | null }>(
          `SELECT i.id, i.workspace_id, i.cve, i.aliases, i.target_key, i.target_name, i.target_url, i.package_key,
                  i.package_name, i.ecosystem, i.versions, i.fixed_versions, i.severity, i.priority, i.priority_rank,
                  i.explanation, ${EPSS_NOW}, i.status, i.stage, i.sla_due_at,
                  (SELECT u.username FROM users u WHERE u.id = i.assignee_id) AS assignee_name,
                  (SELECT json_agg(DISTINCT s.kind) FROM issue_sources s WHERE s.issue_id = i.id AND s.present) AS sources
             FROM issues i WHERE i.id = ANY($1::bigint[]) ORDER BY i.id`,
          [ids],
        )
      ).rows.map(({ epss, ...r }) => ({ ...r, explanation: renderEpssMarks(r.explanation, epss) }))

export interface EventDraft {
  workspace_id: string
  type: NotificationType
  dedupe_key: string
  issue_id: number | null
  priority_rank: number | null
  payload: Record<string, unknown>
  at: string
}

/**
 * Stores events (a key seen before is skipped) and fans each new one out to the subscriptions that want it, in one
 * statement each. Returns how many events were new and how many deliveries were queued.
 */
export const storeEvents = async (
  tx: Queryable,
  drafts: EventDraft[],
  now: Date,
): Promise<{ events: number; deliveries: number }> => {
  if (drafts.length === 0) return { events: 0, deliveries: 0 }
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO outbound_events (workspace_id, type, dedupe_key, issue_id, priority_rank, payload, at)
     SELECT x.workspace_id, x.type, x.dedupe_key, x.issue_id, x.priority_rank, x.payload, x.at
       FROM jsonb_to_recordset($1::jsonb) AS x(workspace_id uuid, type text, dedupe_key text, issue_id bigint,
            priority_rank smallint, payload jsonb, at timestamptz)
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
    [JSON.stringify(drafts)],
  )
  if (rows.length === 0) return { events: 0, deliveries: 0 }
  const fanned = await tx.query(
    `INSERT INTO webhook_deliveries (subscription_id, event_id, status, next_attempt_at, created_at)
     SELECT s.id, e.id, 'pending', $2::timestamptz, $2::timestamptz
       FROM outbound_events e
       JOIN webhook_subscriptions s ON s.workspace_id = e.workspace_id AND s.enabled AND s.deleted_at IS NULL
                                   AND s.events ? e.type
      WHERE e.id = ANY($1::bigint[])
        AND (s.min_priority IS NULL OR e.priority_rank IS NULL OR e.priority_rank >=
             CASE s.min_priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)`,
    [rows.map((r) => r.id), now],
  )
  return { events: rows.length, deliveries: fanned.rowCount ?? 0 }
}

/** Open issues whose SLA due date (or its due-soon mark) passed in (from, to]: the crossings, once each. */
export const slaCrossings = async (
  db: Queryable,
  workspaceId: string,
  from: Date,
  to: Date,
  dueSoonDays: number,
): Promise<{ id: number; kind: 'breached' | 'due_soon'; due: Date }[]> =>
  (
    await db.query<{ id: number; kind: 'breached' | 'due_soon'; due: Date }>(
      `SELECT id, 'breached' AS kind, sla_due_at AS due FROM issues
        WHERE workspace_id = $4 AND status = 'open' AND sla_due_at > $1 AND sla_due_at <= $2
       UNION ALL
       SELECT id, 'due_soon', sla_due_at FROM issues
        WHERE workspace_id = $4 AND status = 'open' AND sla_due_at > $2
          AND sla_due_at > $1::timestamptz + make_interval(days => $3::int)
          AND sla_due_at <= $2::timestamptz + make_interval(days => $3::int)
       LIMIT 20000`,
      [from, to, dueSoonDays, workspaceId],
    )
  ).rows

/** Live decisions whose expiry came within `days` in (from, to]. */
export const expiryCrossings = async (db: Queryable, from: Date, to: Date, days: number) =>
  (
    await db.query<{
      id: number
      workspace_id: string
      kind: string
      cve: string
      scope: string
      reason: string
      expires_at: Date
      issues: number
    }>(
      `SELECT d.id, d.workspace_id, d.kind, d.cve, d.scope, d.reason, d.expires_at,
              (SELECT count(*)::int FROM issues i WHERE i.decision_id = d.id) AS issues
         FROM decisions d
        WHERE d.ended_at IS NULL AND d.expires_at > $2
          AND d.expires_at > $1::timestamptz + make_interval(days => $3::int)
          AND d.expires_at <= $2::timestamptz + make_interval(days => $3::int)`,
      [from, to, days],
    )
  ).rows

/** Runs that ended failed, partial or held in (from, to]. */
export const endedRunsBetween = async (db: Queryable, from: Date, to: Date) =>
  (
    await db.query<{
      id: string
      workspace_id: string
      status: string
      error: { code: string; message: string; hint?: string } | null
      finished_at: Date
      connection_id: string
      kind: string
      name: string
    }>(
      `SELECT r.id, r.workspace_id, r.status, r.error, r.finished_at, c.id AS connection_id, c.kind, c.name
         FROM sync_runs r JOIN connections c ON c.id = r.connection_id
        WHERE r.status IN ('failed', 'partial', 'held') AND r.finished_at > $1 AND r.finished_at <= $2`,
      [from, to],
    )
  ).rows

// ------------------------------------------------------------------ subscriptions

export interface SubscriptionRow {
  id: string
  workspace_id: string
  name: string
  kind: 'webhook' | 'slack'
  url_enc: string
  url_hint: string
  secret_enc: string | null
  events: NotificationType[]
  min_priority: string | null
  enabled: boolean
  created_by: string
  created_at: Date
  updated_at: Date
}

export const insertSubscription = async (
  db: Queryable,
  s: Omit<SubscriptionRow, 'id' | 'created_at' | 'updated_at' | 'enabled'> & { enabled?: boolean },
): Promise<SubscriptionRow> =>
  (
    await db.query<SubscriptionRow>(
      `INSERT INTO webhook_subscriptions (workspace_id, name, kind, url_enc, url_hint, secret_enc, events, min_priority,
              enabled, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        s.workspace_id,
        s.name,
        s.kind,
        s.url_enc,
        s.url_hint,
        s.secret_enc,
        JSON.stringify(s.events),
        s.min_priority,
        s.enabled ?? true,
        s.created_by,
      ],
    )
  ).rows[0]!

export const listSubscriptions = async (db: Queryable, workspaceId: string): Promise<SubscriptionRow[]> =>
  (
    await db.query<SubscriptionRow>(
      `SELECT * FROM webhook_subscriptions WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY lower(name)`,
      [workspaceId],
    )
  ).rows

export const getSubscription = async (db: Queryable, workspaceId: string, id: string) =>
  (
    await db.query<SubscriptionRow>(
      `SELECT * FROM webhook_subscriptions WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL`,
      [workspaceId, id],
    )
  ).rows[0] ?? null

export const updateSubscription = async (
  db: Queryable,
  id: string,
  p: Partial<
    Pick<SubscriptionRow, 'name' | 'url_enc' | 'url_hint' | 'secret_enc' | 'events' | 'min_priority' | 'enabled'>
  >,
) => {
  const sets: string[] = []
  const params: unknown[] = [id]
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue
    params.push(k === 'events' ? JSON.stringify(v) : v)
    sets.push(`${k} = $${params.length}`)
  }
  if (sets.length === 0) return
  await db.query(`UPDATE webhook_subscriptions SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, params)
}

export const deleteSubscription = (db: Queryable, workspaceId: string, id: string) =>
  db.query(
    `UPDATE webhook_subscriptions SET deleted_at = now(), enabled = false WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL`,
    [workspaceId, id],
  )

// ------------------------------------------------------------------ deliveries

export interface DeliveryRow {
  id: number
  subscription_id: string
  event_id: number
  status: 'pending' | 'delivered' | 'failed'
  attempts: number
  next_attempt_at: Date | null
  last_attempt_at: Date | null
  last_status: number | null
  last_error: string | null
  duration_ms: number | null
  created_at: Date
  delivered_at: Date | null
  redelivery_of: number | null
  event_type: NotificationType
  event_at: Date
  payload: Record<string, unknown>
}

const DELIVERY_COLUMNS = `d.*, e.type AS event_type, e.at AS event_at, e.payload`

/**
 * Claims deliveries that are due: each is pushed `leaseMs` into the future first, so another worker (or this one
 * after a crash) tries it again only when this attempt did not report back.
 */
export const claimDueDeliveries = async (
  db: Queryable,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<DeliveryRow[]> =>
  (
    await db.query<DeliveryRow>(
      `WITH due AS (
         SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1
          ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE webhook_deliveries d SET next_attempt_at = $1::timestamptz + make_interval(secs => $3::double precision / 1000)
           FROM due WHERE d.id = due.id RETURNING d.*)
       SELECT c.*, e.type AS event_type, e.at AS event_at, e.payload
         FROM claimed c JOIN outbound_events e ON e.id = c.event_id ORDER BY c.id`,
      [now, limit, leaseMs],
    )
  ).rows

export const recordAttempt = (
  db: Queryable,
  id: number,
  a: {
    now: Date
    ok: boolean
    status: number | null
    error: string | null
    durationMs: number
    nextAttemptAt: Date | null
  },
) =>
  db.query(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = $2::timestamptz, last_status = $3, last_error = $4,
            duration_ms = $5,
            status = CASE WHEN $6::boolean THEN 'delivered' WHEN $7::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
            delivered_at = CASE WHEN $6::boolean THEN $2::timestamptz ELSE NULL END, next_attempt_at = $7
      WHERE id = $1`,
    [id, a.now, a.status, a.error, a.durationMs, a.ok, a.nextAttemptAt],
  )

export const listDeliveries = async (
  db: Queryable,
  subscriptionId: string,
  o: { limit: number; before?: number | undefined; status?: string | undefined },
): Promise<DeliveryRow[]> =>
  (
    await db.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN outbound_events e ON e.id = d.event_id
        WHERE d.subscription_id = $1 AND ($2::bigint IS NULL OR d.id < $2) AND ($3::text IS NULL OR d.status = $3)
        ORDER BY d.id DESC LIMIT $4`,
      [subscriptionId, o.before ?? null, o.status ?? null, o.limit],
    )
  ).rows

export const getDelivery = async (db: Queryable, id: string): Promise<DeliveryRow | null> =>
  (
    await db.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN outbound_events e ON e.id = d.event_id WHERE d.id = $1`,
      [id],
    )
  ).rows[0] ?? null

/** A new attempt at an event for the same subscription, due now (the log keeps the original). */
export const redeliver = async (db: Queryable, d: DeliveryRow, now: Date): Promise<number> =>
  (
    await db.query<{ id: number }>(
      `INSERT INTO webhook_deliveries (subscription_id, event_id, status, next_attempt_at, created_at, redelivery_of)
       VALUES ($1, $2, 'pending', $3, $3, $4) RETURNING id`,
      [d.subscription_id, d.event_id, now, d.id],
    )
  ).rows[0]!.id

/** Queued deliveries and tracker pushes (a gauge of /metrics). */
export const outboundBacklog = async (db: Queryable) =>
  (
    await db.query<{ deliveries: number; tickets: number }>(
      `SELECT (SELECT count(*)::int FROM webhook_deliveries WHERE status = 'pending') AS deliveries,
              (SELECT count(*)::int FROM tracker_tickets WHERE pending) AS tickets`,
    )
  ).rows[0]!

/** Deliveries per subscription and status (the list's counts). */
export const deliveryCounts = async (db: Queryable, subscriptionIds: string[]) => {
  const out = new Map<string, { pending: number; delivered: number; failed: number }>()
  if (subscriptionIds.length === 0) return out
  const { rows } = await db.query<{ subscription_id: string; status: 'pending' | 'delivered' | 'failed'; n: number }>(
    `SELECT subscription_id, status, count(*)::int AS n FROM webhook_deliveries
      WHERE subscription_id = ANY($1::uuid[]) GROUP BY subscription_id, status`,
    [subscriptionIds],
  )
  for (const id of subscriptionIds) out.set(id, { pending: 0, delivered: 0, failed: 0 })
  for (const r of rows) out.get(r.subscription_id)![r.status] = r.n
  return out
}
