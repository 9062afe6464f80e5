import { createHash } from 'node:crypto'
import { connectionContext, describeRunError } from '@vulnsync/connectors'
import {
  type ConnectorContext,
  type IssueStatus,
  type Logger,
  type SlaLevel,
  type Stage,
  type TicketIssue,
  type TicketState,
  type TrackerConnector,
  ticketContent,
  ticketGroupKey,
  UpstreamError,
  wantedCategory,
} from '@vulnsync/core'
import {
  type Actor,
  type ConnectionRow,
  claimPushes,
  type Db,
  emptyCounts,
  endDecisions,
  finishRun,
  getRun,
  getSlaPolicy,
  getTrackerState,
  InputError,
  issueBriefs,
  linkIssues,
  lockTicketByRemote,
  pushFailed,
  type Queryable,
  type RunOwner,
  reconcileDecisions,
  saveObserved,
  savePushed,
  saveTrackerState,
  startRun,
  type TicketRow,
  ticketIssueIds,
} from '@vulnsync/db'
import type { AppConfig } from '../config.ts'
import type { Metrics } from '../metrics/vulnsync.ts'
import type { SecretBox } from '../secrets.ts'
import type { ConnectionForRun, EngineOptions, RunOutcome } from '../sync/engine.ts'
import { recordDecision } from '../workflow/decisions.ts'
import { changeIssues, lockIssues } from '../workflow/issues.ts'

/** What the tracker side of the outbox needs (the runtime has it all). */
export interface TrackerDeps {
  db: Db
  box: SecretBox
  now: () => Date
  logger: Logger
  config: Pick<AppConfig, 'publicUrl' | 'allowPrivateNetworks'>
  engine: Pick<EngineOptions, 'http' | 'sleep'>
  metrics?: Metrics
  owner?: RunOwner
}

const PUSH_LEASE_MS = 5 * 60_000
const PUSH_BATCH = 50

/** After the n-th failed push: 1, 2, 4 … 30 minutes (or what a rate limit asked for). Nothing is ever dropped. */
export const pushRetryMs = (attempts: number, err: unknown): number =>
  Math.max(
    err instanceof UpstreamError && err.retryAfterMs ? err.retryAfterMs : 0,
    Math.min(2 ** Math.max(0, attempts - 1), 30) * 60_000,
  )

const trackerContext = (
  d: TrackerDeps,
  connector: TrackerConnector,
  c: { config: unknown; secrets: unknown },
  purpose: 'push' | 'read',
  signal?: AbortSignal,
): ConnectorContext<unknown, unknown> =>
  connectionContext(connector, purpose, {
    config: c.config,
    secrets: c.secrets,
    logger: d.logger,
    allowPrivateNetworks: d.config.allowPrivateNetworks,
    now: d.now,
    sleep: d.engine.sleep,
    signal,
    http: {
      ...d.engine.http,
      afterResponse: (res) => {
        d.metrics?.upstreamRequests.inc({
          connector_kind: connector.kind,
          status_class: `${Math.floor(res.status / 100)}xx`,
        })
        if (res.status === 429) d.metrics?.upstreamRateLimited.inc({ connector_kind: connector.kind })
      },
    },
  })

/** The group label of a ticket: how a create whose answer was lost is found again (Jira has no idempotency key). */
export const groupLabel = (groupKey: string) =>
  `vulnsync-g-${createHash('sha256').update(groupKey).digest('hex').slice(0, 12)}`

/** The issues of a ticket as its description shows them: briefs, owner, SLA, and evidence from the scanners. */
const ticketIssuesOf = async (db: Queryable, ids: number[], base: string): Promise<TicketIssue[]> => {
  const briefs = await issueBriefs(db, ids)
  const { rows: ev } = await db.query<{ issue_id: number; kind: string; title: string | null; link: string | null }>(
    `SELECT o.issue_id, c.kind, o.title, o.link FROM occurrences o JOIN connections c ON c.id = o.connection_id
      WHERE o.issue_id = ANY($1::bigint[]) AND o.state = 'present' ORDER BY o.issue_id, c.kind, o.id`,
    [ids],
  )
  return briefs.map((b) => ({
    id: String(b.id),
    cve: b.cve,
    aliases: b.aliases ?? [],
    packageName: b.package_name,
    packageKey: b.package_key,
    versions: b.versions ?? [],
    fixedVersions: b.fixed_versions ?? [],
    targetName: b.target_name,
    targetUrl: b.target_url,
    severity: b.severity as SlaLevel,
    priority: b.priority as SlaLevel,
    explanation: b.explanation,
    status: b.status as IssueStatus,
    stage: b.stage as Stage,
    owner: b.assignee_name,
    slaDueAt: b.sla_due_at ? new Date(b.sla_due_at) : null,
    sources: b.sources ?? [],
    evidence: ev
      .filter((e) => e.issue_id === b.id)
      .slice(0, 5)
      .map((e) => `${e.kind}: ${e.title ?? 'reported'}${e.link ? ` (${e.link})` : ''}`),
    url: `${base}/vulnerabilities/${b.id}`,
  }))
}

const contentFor = async (d: TrackerDeps, t: TicketRow) => {
  const issues = await ticketIssuesOf(d.db, await ticketIssueIds(d.db, t.id), d.config.publicUrl)
  const first = issues[0]
  const url = first
    ? `${d.config.publicUrl}/vulnerabilities?repository=${encodeURIComponent(first.targetName)}&package=${encodeURIComponent(first.packageKey)}`
    : d.config.publicUrl
  const c = ticketContent(issues, url)
  return { issues, content: { ...c, labels: [...c.labels, groupLabel(t.group_key)] } }
}

/**
 * Pushes what vulnsync has to tell a tracker, ticket by ticket: creates tickets, rewrites them when issues joined or
 * changed, and moves them to the category their issues call for. A failure (an outage, a rate limit) leaves the
 * ticket pending with a later attempt time; nothing is dropped.
 */
export const pushTickets = async (
  d: TrackerDeps,
  row: ConnectionRow | ConnectionForRun,
  connector: TrackerConnector,
  o: { signal?: AbortSignal } = {},
): Promise<{ created: number; moved: number; updated: number; failed: number }> => {
  const out = { created: 0, moved: 0, updated: 0, failed: 0 }
  const conn =
    'secrets_enc' in row
      ? { config: row.config, secrets: d.box.open(row.secrets_enc) }
      : { config: row.config, secrets: row.secrets }
  for (const t of await claimPushes(d.db, row.id, d.now(), PUSH_BATCH, PUSH_LEASE_MS)) {
    if (o.signal?.aborted) break
    const ctx = trackerContext(d, connector, conn, 'push', o.signal)
    try {
      const { issues, content } = await contentFor(d, t)
      if (issues.length === 0) {
        await savePushed(d.db, t, {
          remoteId: t.remote_id ?? '',
          remoteKey: t.remote_key ?? '',
          remoteUrl: t.remote_url ?? '',
          category: t.category,
          statusName: t.status_name ?? '',
          resolution: t.resolution,
          remoteUpdatedAt: null,
        })
        continue
      }
      let state: TicketState | null = null
      if (!t.remote_id) {
        state = await connector.createTicket(ctx, content)
        out.created++
      } else if (t.content_dirty) {
        await connector.updateTicket(ctx, { id: t.remote_id, key: t.remote_key! }, content)
        out.updated++
      }
      const ref = { id: state?.id ?? t.remote_id!, key: state?.key ?? t.remote_key! }
      const current = state?.category ?? t.category
      const want = wantedCategory(issues, current, t.reopen_requested)
      let expected = current
      if (want) {
        const moved = await connector.moveTicket(ctx, ref, want.category, want.why)
        state = moved.state
        expected = want.category
        if (moved.moved) out.moved++
      } else if (!state) state = await connector.getTicket(ctx, ref)
      if (!state)
        throw new UpstreamError({ kind: 'not_found', host: '', message: `ticket ${ref.key} is gone from the tracker` })
      // the tracker's time of vulnsync's own change: its echo (a webhook) is then not newer and changes nothing. A
      // read-back that shows another state means someone changed it meanwhile: that change is left to be taken in.
      await savePushed(d.db, t, {
        remoteId: state.id,
        remoteKey: state.key,
        remoteUrl: state.url,
        category: expected,
        statusName: state.category === expected ? state.status : (t.status_name ?? state.status),
        resolution: state.category === expected ? state.resolution : t.resolution,
        remoteUpdatedAt: state.category === expected ? state.updatedAt : null,
      })
      d.metrics?.trackerPushes.inc({ connector_kind: connector.kind, outcome: 'ok' })
    } catch (err) {
      out.failed++
      const attempts = t.attempts + 1
      await pushFailed(
        d.db,
        t.id,
        describeRunError(err).message,
        new Date(d.now().getTime() + pushRetryMs(attempts, err)),
      )
      d.metrics?.trackerPushes.inc({ connector_kind: connector.kind, outcome: 'failed' })
      d.logger.warn({ ticket: t.id, attempts, err: (err as Error).message }, 'tracker push failed; it will be retried')
    }
  }
  return out
}

export type ApplyResult = 'applied' | 'unchanged' | 'stale' | 'own' | 'unknown'

/**
 * Takes in a tracker's state of a ticket (a webhook or the reconciliation), in order: a state not newer than the
 * newest one taken in is ignored (a retried or late delivery never undoes a newer change), a change made by
 * vulnsync's own account is only recorded. What changed goes through the workflow, as the actor `jira`: done with a
 * mapped resolution records that decision for the open issues (an acceptance with its expiry); done otherwise moves
 * them to `fix_merged` (awaiting the next sync); reopened revokes what it decided and moves them back to work; in
 * progress starts the work.
 */
export const applyTicketState = async (
  d: Pick<TrackerDeps, 'db' | 'now' | 'metrics'>,
  connection: { id: string; workspaceId: string; config: unknown },
  connector: TrackerConnector,
  s: TicketState,
  source: 'webhook' | 'reconcile',
): Promise<ApplyResult> => {
  const result = await d.db.transaction(async (tx): Promise<ApplyResult> => {
    const t = await lockTicketByRemote(tx, connection.id, s.id)
    if (!t) return 'unknown'
    if (t.remote_updated_at && s.updatedAt.getTime() <= new Date(t.remote_updated_at).getTime()) return 'stale'
    const now = d.now()
    const prev = t.category
    const observed = {
      category: s.category,
      statusName: s.status,
      resolution: s.resolution,
      remoteUpdatedAt: s.updatedAt,
      appliedDecisions: t.applied_decisions ?? [],
    }
    const own = s.byAccount !== null && s.byAccount === (await getTrackerState(tx, connection.id)).account_id
    if (own || prev === s.category) {
      await saveObserved(tx, t.id, { ...observed, category: own ? prev : s.category })
      return own ? 'own' : 'unchanged'
    }
    const actor: Actor = { name: `jira:${s.key}`, kind: 'jira' }
    const verdict = connector.verdict(connection.config, s)
    const ids = (await ticketIssueIds(tx, t.id)).map(String)
    const ws = connection.workspaceId
    const openOnes = async () => (await lockIssues(tx, ws, ids)).filter((i) => i.status === 'open')
    const note = `${s.key} in Jira: ${s.status}${s.resolution ? ` (${s.resolution})` : ''}`
    if (s.category === 'done') {
      const open = await openOnes()
      if (verdict.decision) {
        const policy = await getSlaPolicy(tx, ws)
        const days =
          verdict.decision.expiresInDays === null
            ? null
            : Math.min(verdict.decision.expiresInDays, policy.maxAcceptanceDays)
        for (const i of open) {
          const r = await recordDecision(
            tx,
            ws,
            {
              issueId: String(i.id),
              kind: verdict.decision.kind,
              reason: verdict.decision.reason,
              scope: 'issue',
              expiresAt: days === null ? null : new Date(now.getTime() + days * 86_400_000),
            },
            policy,
            { userId: null, actor },
            { now },
          )
          observed.appliedDecisions = [...observed.appliedDecisions, Number(r.decision.id)]
        }
      } else if (open.length > 0)
        await changeIssues(
          tx,
          ws,
          open,
          { stage: 'fix_merged', comment: `Closed in Jira (${note}): the fix awaits verification by the next sync.` },
          actor,
          { now },
        )
    } else {
      if (prev === 'done' && observed.appliedDecisions.length > 0) {
        await endDecisions(tx, observed.appliedDecisions, 'revoked', actor.name, now)
        await reconcileDecisions(tx, ids.map(Number), actor, { now })
        observed.appliedDecisions = []
      }
      const open = await openOnes()
      const stage: Stage = s.category === 'indeterminate' ? 'in_progress' : 'triaged'
      const move = open.filter((i) => prev === 'done' || i.stage === 'new' || i.stage === 'triaged')
      if (move.length > 0)
        await changeIssues(
          tx,
          ws,
          move,
          { stage, comment: prev === 'done' ? `Reopened in Jira (${note}).` : `Work started in Jira (${note}).` },
          actor,
          { now },
        )
    }
    await saveObserved(tx, t.id, observed)
    return 'applied'
  })
  d.metrics?.trackerEvents.inc({ connector_kind: connector.kind, source, result })
  return result
}

/** Issues put into tickets by hand (the detail page, a bulk action): linked at once, pushed by the next pass. */
export const ticketIssuesByHand = async (
  db: Db,
  connection: ConnectionRow,
  connector: TrackerConnector,
  issueIds: string[],
  actor: Actor,
): Promise<number[]> =>
  db.transaction(async (tx) => {
    const issues = await lockIssues(tx, connection.workspace_id, issueIds)
    const keys = await tx.query<{ id: number; target_key: string; package_key: string }>(
      `SELECT id, target_key, package_key FROM issues WHERE id = ANY($1::bigint[])`,
      [issues.map((i) => i.id)],
    )
    const closed = issues.filter((i) => i.status !== 'open')
    if (closed.length > 0)
      throw new InputError(
        'invalid_request',
        `ids: ${closed.length} issue(s) are not open (e.g. ${closed[0]!.id} is ${closed[0]!.status}); tickets are for open issues`,
        'narrow the selection to open issues',
        422,
      )
    const { grouping } = connector.rules(connection.config)
    return linkIssues(
      tx,
      { id: connection.id, workspaceId: connection.workspace_id },
      keys.rows.map((k) => ({
        groupKey: ticketGroupKey({ id: String(k.id), targetKey: k.target_key, packageKey: k.package_key }, grouping),
        issueId: k.id,
      })),
      actor.name,
    )
  })

/**
 * A tracker connection's run: the reconciliation. Reads the tickets that changed since the last one (all of them the
 * first time) and takes each in as a webhook would (so a missed webhook is caught up), then pushes what is pending.
 */
export const runTrackerReconciliation = async (
  d: TrackerDeps,
  connector: TrackerConnector,
  connection: ConnectionForRun,
  runId: string,
  signal: AbortSignal,
): Promise<RunOutcome> => {
  const run = await startRun(d.db, runId, d.now(), d.owner ?? null)
  if (!run) {
    const existing = await getRun(d.db, runId)
    return {
      status: existing?.status ?? 'failed',
      counts: existing?.counts ?? emptyCounts(),
      error: { code: 'busy', message: 'another run of this connection is in progress' },
    }
  }
  const counts = emptyCounts()
  const started = d.now()
  try {
    const ctx = trackerContext(d, connector, connection, 'read', signal)
    await saveTrackerState(d.db, connection.id, { accountId: await connector.whoami(ctx) })
    const { reconciled_at } = await getTrackerState(d.db, connection.id)
    for await (const t of connector.changedTickets(ctx, reconciled_at ? new Date(reconciled_at) : null)) {
      counts.fetched++
      const r = await applyTicketState(d, connection, connector, t, 'reconcile')
      if (r === 'applied') counts.updated++
      else if (r === 'unknown') counts.skipped.not_a_vulnsync_ticket = (counts.skipped.not_a_vulnsync_ticket ?? 0) + 1
      else counts.unchanged++
    }
    const pushed = await pushTickets(d, connection, connector, { signal })
    counts.created += pushed.created
    counts.resolved += pushed.moved
    await saveTrackerState(d.db, connection.id, { reconciledAt: started })
    const status = pushed.failed > 0 ? 'partial' : 'succeeded'
    const error =
      pushed.failed > 0
        ? { code: 'push_failed', message: `${pushed.failed} ticket change(s) could not be sent; they will be retried` }
        : undefined
    await finishRun(d.db, runId, { status, counts, ...(error ? { error } : {}), now: d.now() })
    return { status, counts, ...(error ? { error } : {}) }
  } catch (err) {
    const error = signal.aborted ? { code: 'cancelled', message: 'the run was cancelled' } : describeRunError(err)
    const status = signal.aborted ? 'cancelled' : 'failed'
    await finishRun(d.db, runId, { status, counts, error, now: d.now() })
    return { status, counts, error }
  }
}
