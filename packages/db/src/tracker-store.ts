import type { Queryable } from './driver.ts'

/**
 * Tickets in trackers (Jira): one row per ticket, linked to the issues it covers, with what the tracker last said
 * (category, status, resolution, its update time) and what vulnsync still has to tell it (`pending`, with retries).
 */

export interface TicketRow {
  id: number
  workspace_id: string
  connection_id: string
  group_key: string
  remote_id: string | null
  remote_key: string | null
  remote_url: string | null
  category: 'new' | 'indeterminate' | 'done'
  status_name: string | null
  resolution: string | null
  remote_updated_at: Date | null
  pending: boolean
  content_dirty: boolean
  reopen_requested: boolean
  push_seq: number
  attempts: number
  next_attempt_at: Date | null
  last_error: string | null
  applied_decisions: number[]
  created_by: string
  created_at: Date
  updated_at: Date
}

export interface TrackerConnectionRow {
  id: string
  workspace_id: string
  kind: string
  name: string
  config: unknown
  secrets_enc: string
  created_at: Date
}

export const trackerConnections = async (db: Queryable, kinds: string[]): Promise<TrackerConnectionRow[]> =>
  kinds.length === 0
    ? []
    : (
        await db.query<TrackerConnectionRow>(
          `SELECT id, workspace_id, kind, name, config, secrets_enc, created_at FROM connections
            WHERE kind = ANY($1::text[]) AND deleted_at IS NULL ORDER BY created_at`,
          [kinds],
        )
      ).rows

export const getTrackerState = async (db: Queryable, connectionId: string) =>
  (
    await db.query<{ account_id: string | null; reconciled_at: Date | null }>(
      `SELECT account_id, reconciled_at FROM tracker_state WHERE connection_id = $1`,
      [connectionId],
    )
  ).rows[0] ?? { account_id: null, reconciled_at: null }

export const saveTrackerState = (
  db: Queryable,
  connectionId: string,
  s: { accountId?: string | null; reconciledAt?: Date | null },
) =>
  db.query(
    `INSERT INTO tracker_state (connection_id, account_id, reconciled_at) VALUES ($1, $2, $3)
     ON CONFLICT (connection_id) DO UPDATE SET account_id = COALESCE($2, tracker_state.account_id),
       reconciled_at = COALESCE($3, tracker_state.reconciled_at)`,
    [connectionId, s.accountId ?? null, s.reconciledAt ?? null],
  )

/** Open issues a connection's rule picks (priority, repositories, owner teams) that have no ticket of it yet. */
export const ticketCandidates = async (
  db: Queryable,
  c: { id: string; workspaceId: string; since: Date | null },
  rule: { minRank: number; repositories: string[]; teams: string[] },
  limit: number,
): Promise<{ id: number; target_key: string; package_key: string }[]> =>
  (
    await db.query<{ id: number; target_key: string; package_key: string }>(
      `SELECT i.id, i.target_key, i.package_key FROM issues i
        WHERE i.workspace_id = $1 AND i.status = 'open' AND i.priority_rank >= $2
          AND (cardinality($3::text[]) = 0 OR lower(i.target_name) = ANY($3::text[]))
          AND (cardinality($7::uuid[]) = 0 OR i.owner_team_id = ANY($7::uuid[]))
          AND ($4::timestamptz IS NULL OR i.created_at >= $4)
          AND NOT EXISTS (SELECT 1 FROM tracker_ticket_issues l JOIN tracker_tickets t ON t.id = l.ticket_id
                           WHERE l.issue_id = i.id AND t.connection_id = $5)
        ORDER BY i.priority_rank DESC, i.id LIMIT $6`,
      [c.workspaceId, rule.minRank, rule.repositories.map((r) => r.toLowerCase()), c.since, c.id, limit, rule.teams],
    )
  ).rows

/**
 * Puts issues into the live ticket of their group (made, pending creation, when the group has none), and marks
 * every ticket that gained an issue for a rewrite. Returns the tickets touched.
 */
export const linkIssues = async (
  tx: Queryable,
  c: { id: string; workspaceId: string },
  links: { groupKey: string; issueId: number }[],
  by: string,
): Promise<number[]> => {
  if (links.length === 0) return []
  const groups = [...new Set(links.map((l) => l.groupKey))]
  await tx.query(
    `INSERT INTO tracker_tickets (workspace_id, connection_id, group_key, created_by)
     SELECT $1, $2, g, $3 FROM unnest($4::text[]) AS g
     ON CONFLICT (connection_id, group_key) WHERE category <> 'done' DO NOTHING`,
    [c.workspaceId, c.id, by, groups],
  )
  const { rows } = await tx.query<{ ticket_id: number }>(
    `WITH l AS (SELECT x.g, x.i FROM jsonb_to_recordset($2::jsonb) AS x(g text, i bigint)),
          ins AS (
            INSERT INTO tracker_ticket_issues (ticket_id, issue_id)
            SELECT t.id, l.i FROM l JOIN tracker_tickets t ON t.connection_id = $1 AND t.group_key = l.g AND t.category <> 'done'
            ON CONFLICT DO NOTHING RETURNING ticket_id)
     SELECT DISTINCT ticket_id FROM ins`,
    [c.id, JSON.stringify(links.map((l) => ({ g: l.groupKey, i: l.issueId })))],
  )
  const ids = rows.map((r) => r.ticket_id)
  if (ids.length > 0)
    await tx.query(
      `UPDATE tracker_tickets SET pending = true, content_dirty = true, push_seq = push_seq + 1, next_attempt_at = NULL,
              updated_at = now() WHERE id = ANY($1::bigint[])`,
      [ids],
    )
  return ids
}

/** Marks the tickets of these issues for a push: a rewrite, or (reopen) a way back from done. */
export const markTicketsOfIssues = async (
  tx: Queryable,
  issueIds: number[],
  o: { reopen: boolean; content: boolean },
): Promise<number> => {
  if (issueIds.length === 0) return 0
  const r = await tx.query(
    `UPDATE tracker_tickets t SET pending = true, push_seq = t.push_seq + 1, next_attempt_at = NULL,
            reopen_requested = t.reopen_requested OR $2, content_dirty = t.content_dirty OR $3, updated_at = now()
      WHERE t.id IN (SELECT ticket_id FROM tracker_ticket_issues WHERE issue_id = ANY($1::bigint[]))`,
    [issueIds, o.reopen, o.content],
  )
  return r.rowCount ?? 0
}

/** Claims tickets with something to push, due now; each is leased `leaseMs` so a crash only delays it. */
export const claimPushes = async (
  db: Queryable,
  connectionId: string,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<TicketRow[]> =>
  (
    await db.query<TicketRow>(
      `WITH due AS (
         SELECT id FROM tracker_tickets
          WHERE connection_id = $1 AND pending AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
          ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
       UPDATE tracker_tickets t SET next_attempt_at = $2::timestamptz + make_interval(secs => $4::double precision / 1000)
         FROM due WHERE t.id = due.id RETURNING t.*`,
      [connectionId, now, limit, leaseMs],
    )
  ).rows

export const ticketIssueIds = async (db: Queryable, ticketId: number): Promise<number[]> =>
  (
    await db.query<{ issue_id: number }>(
      `SELECT issue_id FROM tracker_ticket_issues WHERE ticket_id = $1 ORDER BY issue_id`,
      [ticketId],
    )
  ).rows.map((r) => r.issue_id)

/** What a push did: the ticket's identity and state; still pending if it was marked again meanwhile. */
export const savePushed = (
  db: Queryable,
  t: TicketRow,
  s: {
    remoteId: string
    remoteKey: string
    remoteUrl: string
    category: TicketRow['category']
    statusName: string
    resolution: string | null
    remoteUpdatedAt: Date | null
  },
) =>
  db.query(
    `UPDATE tracker_tickets SET remote_id = $2, remote_key = $3, remote_url = $4, category = $5, status_name = $6,
            resolution = $7,
            remote_updated_at = CASE WHEN $8::timestamptz IS NULL THEN remote_updated_at
                                     ELSE GREATEST(remote_updated_at, $8::timestamptz) END,
            pending = push_seq <> $9, content_dirty = content_dirty AND push_seq <> $9,
            reopen_requested = reopen_requested AND push_seq <> $9,
            attempts = 0, next_attempt_at = NULL, last_error = NULL, updated_at = now()
      WHERE id = $1`,
    [t.id, s.remoteId, s.remoteKey, s.remoteUrl, s.category, s.statusName, s.resolution, s.remoteUpdatedAt, t.push_seq],
  )

export const pushFailed = (db: Queryable, id: number, error: string, next: Date) =>
  db.query(
    `UPDATE tracker_tickets SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, updated_at = now()
      WHERE id = $1`,
    [id, error.slice(0, 2000), next],
  )

export const lockTicketByRemote = async (tx: Queryable, connectionId: string, remoteId: string) =>
  (
    await tx.query<TicketRow>(`SELECT * FROM tracker_tickets WHERE connection_id = $1 AND remote_id = $2 FOR UPDATE`, [
      connectionId,
      remoteId,
    ])
  ).rows[0] ?? null

/** The tracker's state of a ticket, taken in (a webhook or the reconciliation), with the decisions it recorded. */
export const saveObserved = (
  tx: Queryable,
  id: number,
  s: {
    category: TicketRow['category']
    statusName: string
    resolution: string | null
    remoteUpdatedAt: Date
    appliedDecisions: number[]
  },
) =>
  tx.query(
    `UPDATE tracker_tickets SET category = $2, status_name = $3, resolution = $4, remote_updated_at = $5,
            applied_decisions = $6, updated_at = now() WHERE id = $1`,
    [id, s.category, s.statusName, s.resolution, s.remoteUpdatedAt, JSON.stringify(s.appliedDecisions)],
  )

/** The tickets of an issue, for its detail page. */
export const ticketsOfIssue = async (db: Queryable, issueId: number) =>
  (
    await db.query<TicketRow & { connection_name: string; kind: string; issues: number }>(
      `SELECT t.*, c.name AS connection_name, c.kind,
              (SELECT count(*)::int FROM tracker_ticket_issues x WHERE x.ticket_id = t.id) AS issues
         FROM tracker_ticket_issues l JOIN tracker_tickets t ON t.id = l.ticket_id
         JOIN connections c ON c.id = t.connection_id
        WHERE l.issue_id = $1 ORDER BY t.id`,
      [issueId],
    )
  ).rows

export const getTicketRow = async (db: Queryable, id: number) =>
  (await db.query<TicketRow>(`SELECT * FROM tracker_tickets WHERE id = $1`, [id])).rows[0] ?? null
