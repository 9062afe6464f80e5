import { isSeverity, type SlaLevel, severityRank, type TrackerConnector, ticketGroupKey } from '@vulnsync/core'
import {
  type Db,
  type EventDraft,
  endedRunsBetween,
  expiryCrossings,
  getSlaPolicy,
  type IssueBriefRow,
  issueBriefs,
  issuesCreatedAfter,
  linkIssues,
  lockCursor,
  markTicketsOfIssues,
  type Queryable,
  saveCursor,
  slaCrossings,
  storeEvents,
  type TimelineRow,
  ticketCandidates,
  timelineAfter,
  trackerConnections,
} from '@vulnsync/db'
import type { AppConfig } from '../config.ts'
import { connectorOf, type Registry } from '../sync/connection.ts'
import { issueBrief } from './messages.ts'

export interface OutboxDeps {
  db: Db
  connectors: Registry
  now: () => Date
  config: Pick<AppConfig, 'publicUrl'>
}

/** The one cursor of the outbox (the notifications and the trackers' marks read the same entries). */
export const OUTBOX_CURSOR = 'outbox'
const BATCH = 5_000
const MAX_BATCHES = 20
/** how far back the scan of ended runs looks again (a run's end commits right after its time is taken) */
const RUN_LAG_MS = 5 * 60_000
/** tickets made by the rules in one pass, per tracker connection */
const RULE_BATCH = 500

/** The tracker connectors of a registry, by kind. */
export const trackerKinds = (registry: Registry): Map<string, TrackerConnector> =>
  new Map(
    Object.keys(registry)
      .map((k) => [k, connectorOf(registry, k)] as const)
      .filter((e): e is [string, TrackerConnector] => e[1]?.role === 'tracker'),
  )

/** Timeline entries that move a ticket: what vulnsync changed (the tracker's own changes are not sent back). */
const ticketMarks = (rows: TimelineRow[]) => {
  const reopen = new Set<number>()
  const content = new Set<number>()
  const moves = new Set<number>()
  for (const e of rows) {
    if (e.actor_kind === 'jira') continue
    if (e.type === 'status') {
      if (e.detail.to === 'open') reopen.add(e.issue_id)
      else content.add(e.issue_id)
    } else if (e.type === 'priority' || e.type === 'assigned') content.add(e.issue_id)
    else if (e.type === 'stage' || e.type === 'decision') moves.add(e.issue_id)
  }
  return { reopen: [...reopen], content: [...content], moves: [...moves] }
}

/**
 * One pass of the outbox, in one transaction: reads the timeline and the new issues after the cursor (finished
 * transactions only), scans what time makes happen since the last pass (SLA marks, decisions about to expire) and
 * the runs that failed or were held, and turns them into events (once each) fanned out to subscriptions; marks the
 * tickets whose issues vulnsync changed, and puts the issues the trackers' rules pick into tickets. Nothing here
 * calls a receiver: deliveries and pushes are the delivery job's.
 */
export const produceOutbound = async (
  d: OutboxDeps,
): Promise<{ events: number; deliveries: number; tickets: number }> => {
  const now = d.now()
  const base = d.config.publicUrl
  return d.db.transaction(async (tx) => {
    const c = await lockCursor(tx, OUTBOX_CURSOR, now)
    const from = new Date(c.scanned_at)
    const timeline: TimelineRow[] = []
    for (let b = 0; b < MAX_BATCHES; b++) {
      const rows = await timelineAfter(tx, c, BATCH)
      timeline.push(...rows)
      const last = rows.at(-1)
      if (last) {
        c.event_tx = last.tx
        c.event_id = last.id
      }
      if (rows.length < BATCH) break
    }
    const created: number[] = []
    for (let b = 0; b < MAX_BATCHES; b++) {
      const rows = await issuesCreatedAfter(tx, c, BATCH)
      created.push(...rows.map((r) => r.id))
      const last = rows.at(-1)
      if (last) {
        c.issue_tx = last.tx
        c.issue_id = last.id
      }
      if (rows.length < BATCH) break
    }

    const fixed = timeline.filter((e) => e.type === 'status' && e.detail.to === 'fixed')
    const merged = timeline.filter((e) => e.type === 'stage' && e.detail.to === 'fix_merged')
    const workspaces = (await tx.query<{ id: string }>(`SELECT id FROM workspaces`)).rows.map((w) => w.id)
    const crossings: { id: number; kind: 'breached' | 'due_soon'; due: Date }[] = []
    const dueSoonDays = new Map<string, number>()
    if (now > from)
      for (const ws of workspaces) {
        const policy = await getSlaPolicy(tx, ws)
        dueSoonDays.set(ws, policy.dueSoonDays)
        crossings.push(...(await slaCrossings(tx, ws, from, now, policy.dueSoonDays)))
      }
    const briefs = new Map<number, IssueBriefRow>()
    const ids = [
      ...new Set([
        ...created,
        ...fixed.map((e) => e.issue_id),
        ...merged.map((e) => e.issue_id),
        ...crossings.map((x) => x.id),
      ]),
    ]
    for (const b of await issueBriefs(tx, ids)) briefs.set(b.id, b)

    const drafts: EventDraft[] = []
    const issueEvent = (type: EventDraft['type'], key: string, issueId: number, at: Date, extra = {}) => {
      const b = briefs.get(issueId)
      if (!b) return
      drafts.push({
        workspace_id: b.workspace_id,
        type,
        dedupe_key: key,
        issue_id: issueId,
        priority_rank: b.priority_rank,
        payload: { issue: issueBrief(b, base), ...extra },
        at: at.toISOString(),
      })
    }
    for (const id of created) issueEvent('issue.new', `issue.new:${id}`, id, now)
    for (const e of fixed) issueEvent('issue.fixed', `issue.fixed:${e.id}`, e.issue_id, new Date(e.at))
    for (const e of merged)
      issueEvent('issue.fix_merged', `issue.fix_merged:${e.id}`, e.issue_id, new Date(e.at), {
        by: { actor: e.actor, kind: e.actor_kind },
        ...(e.detail.pullRequest ? { pullRequest: e.detail.pullRequest } : {}),
      })
    for (const x of crossings) {
      const due = new Date(x.due).toISOString()
      issueEvent(x.kind === 'breached' ? 'sla.breached' : 'sla.due_soon', `sla.${x.kind}:${x.id}:${due}`, x.id, now, {
        dueAt: due,
      })
    }
    if (now > from) {
      for (const ws of workspaces)
        for (const dcs of await expiryCrossings(tx, from, now, dueSoonDays.get(ws) ?? 7)) {
          if (dcs.workspace_id !== ws) continue
          const expires = new Date(dcs.expires_at).toISOString()
          drafts.push({
            workspace_id: ws,
            type: 'decision.expiring',
            dedupe_key: `decision.expiring:${dcs.id}:${expires}`,
            issue_id: null,
            priority_rank: null,
            payload: {
              decision: {
                id: String(dcs.id),
                kind: dcs.kind,
                cve: dcs.cve,
                scope: dcs.scope,
                reason: dcs.reason,
                expiresAt: expires,
                issues: dcs.issues,
              },
              url: `${base}/vulnerabilities?cve=${encodeURIComponent(dcs.cve)}`,
            },
            at: now.toISOString(),
          })
        }
      // the look-back never reaches before the outbox began (a run that failed before it is not news)
      const since = Math.max(from.getTime() - RUN_LAG_MS, new Date(c.started_at).getTime())
      for (const r of await endedRunsBetween(tx, new Date(since), now)) {
        const type = r.status === 'held' ? 'sync.held' : 'sync.failed'
        drafts.push({
          workspace_id: r.workspace_id,
          type,
          dedupe_key: `${type}:${r.id}`,
          issue_id: null,
          priority_rank: null,
          payload: {
            run: {
              id: r.id,
              status: r.status,
              error: r.error,
              finishedAt: new Date(r.finished_at).toISOString(),
              connection: { id: r.connection_id, kind: r.kind, name: r.name },
            },
            url: `${base}/connections/${r.connection_id}/syncs`,
          },
          at: new Date(r.finished_at).toISOString(),
        })
      }
    }
    const stored = await storeEvents(tx, drafts, now)

    // trackers: what vulnsync changed moves the tickets; the rules put new matches into tickets
    const marks = ticketMarks(timeline)
    let tickets = 0
    tickets += await markTicketsOfIssues(tx, marks.reopen, { reopen: true, content: true })
    tickets += await markTicketsOfIssues(tx, marks.content, { reopen: false, content: true })
    tickets += await markTicketsOfIssues(tx, marks.moves, { reopen: false, content: false })
    tickets += await applyTicketRules(tx, d.connectors)

    if (now > from) c.scanned_at = now
    await saveCursor(tx, c)
    return { ...stored, tickets }
  })
}

/** The tracker connections of a workspace whose ticket rule names a team (a team they name is not deleted). */
export const trackerRulesNamingTeam = async (
  db: Queryable,
  registry: Registry,
  workspaceId: string,
  teamId: string,
): Promise<{ id: string; name: string }[]> => {
  const kinds = trackerKinds(registry)
  return (await trackerConnections(db, [...kinds.keys()]))
    .filter((c) => c.workspace_id === workspaceId && kinds.get(c.kind)!.rules(c.config).teams.includes(teamId))
    .map((c) => ({ id: c.id, name: c.name }))
}

/** Puts the open issues each tracker's rule picks, and that have no ticket of it yet, into their group's ticket. */
export const applyTicketRules = async (tx: Queryable, registry: Registry): Promise<number> => {
  const kinds = trackerKinds(registry)
  let n = 0
  for (const conn of await trackerConnections(tx, [...kinds.keys()])) {
    const rules = kinds.get(conn.kind)!.rules(conn.config)
    if (rules.minPriority === null || !isSeverity(rules.minPriority)) continue
    const picked = await ticketCandidates(
      tx,
      { id: conn.id, workspaceId: conn.workspace_id, since: rules.backfill ? null : new Date(conn.created_at) },
      { minRank: severityRank(rules.minPriority as SlaLevel), repositories: rules.repositories, teams: rules.teams },
      RULE_BATCH,
    )
    const links = picked.map((i) => ({
      groupKey: ticketGroupKey(
        { id: String(i.id), targetKey: i.target_key, packageKey: i.package_key },
        rules.grouping,
      ),
      issueId: i.id,
    }))
    n += (await linkIssues(tx, { id: conn.id, workspaceId: conn.workspace_id }, links, 'rule')).length
  }
  return n
}
