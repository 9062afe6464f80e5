import {
  feedEvidence,
  feedKeys,
  type IssueStatus,
  type KevValue,
  type PrioritisedRow,
  type PriorityCause,
  type PriorityPolicy,
  prioritiseSources,
  priorityPolicyOf,
  renderEpssMarks,
  reprioritised,
  type SeverityFactor,
  type SlaLevel,
  severityRank,
} from '@vulnsync/core'
import type { Db, Queryable } from './driver.ts'
import { type FeedLookup, lookupFeeds } from './feed-store.ts'
import {
  type Actor,
  getPolicy,
  getSlaPolicies,
  type IssueEventInput,
  insertIssueEvents,
  PRIORITY_POLICY,
} from './workflow-store.ts'

/**
 * Priority recomputation without a sync: after a feed refresh (the issues of the CVEs whose feed values changed in a
 * way that can move a priority: a KEV entry, an EPSS score that appeared, left or crossed a policy threshold) and
 * after a policy change (every issue of the workspace). An issue stores the EPSS value only as a mark in its factor
 * text and sentence (the value is joined when it is read), so a score that moved within its band changes nothing. Set-based: issues are read, recomputed in memory with the one
 * pure prioritisation (packages/core) and written back in chunks, a constant number of statements per chunk.
 */

/** The workspace's priority policy: the saved one over the defaults. */
export const getPriorityPolicy = async (db: Queryable, workspaceId: string): Promise<PriorityPolicy> =>
  priorityPolicyOf(await getPolicy<Partial<PriorityPolicy>>(db, workspaceId, PRIORITY_POLICY))

export const getPriorityPolicies = async (
  db: Queryable,
  workspaceIds: string[],
): Promise<Map<string, PriorityPolicy>> => {
  const out = new Map<string, PriorityPolicy>()
  for (const ws of new Set(workspaceIds)) out.set(ws, await getPriorityPolicy(db, ws))
  return out
}

/** The feed evidence of an issue from a lookup. */
export const evidenceOf = (lookup: FeedLookup, cve: string, aliases: readonly string[]) =>
  feedEvidence(feedKeys(cve, aliases), lookup.kev, lookup.epss, lookup.kevLoaded)

export interface PriorityMove {
  from: SlaLevel
  to: SlaLevel
  count: number
  /** of which open */
  open: number
}

export interface ReprioritiseResult {
  /** issues whose priority level changes, by from → to */
  moves: PriorityMove[]
  /** issues whose level changes */
  changed: number
  /** issues looked at */
  examined: number
  /**
   * issues written (level, factors, sentence, KEV entry or due date changed; a moved EPSS score alone changes none of
   * them: an issue stores only which side of the thresholds it is on); 0 on a dry run
   */
  written: number
}

export interface ReprioritiseOptions {
  cause: PriorityCause
  actor: Actor
  now: Date
  /** count only: nothing is written */
  dryRun?: boolean
  /** prioritise this workspace's issues with this policy instead of its saved one (a dry run of a policy change) */
  policy?: { workspaceId: string; policy: PriorityPolicy }
  /** run every chunk in this transaction (a policy change, all or nothing); else one transaction per chunk */
  tx?: Queryable
  chunkSize?: number
  /** told after each chunk (progress of a long refresh) */
  onChunk?: (done: number, total: number) => void
}

interface IssueNow {
  id: number
  v: string
  workspace_id: string
  cve: string
  aliases: string[]
  status: IssueStatus
  priority: SlaLevel
  detected_at: Date
  sla_due_at: Date | null
  factors: SeverityFactor[]
  explanation: string
  kev: KevValue | null
  /** the issue's application, for the business-priority factor */
  app_name: string | null
  app_priority: number | null
  app_label: string | null
}

type SourceOf = PrioritisedRow

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
const time = (d: Date | null) => (d ? new Date(d).getTime() : null)

/**
 * Recomputes the priority of these issues from their sources, the feeds and their workspace's policy; writes what
 * changed (priority, factors, sentence, KEV entry, an open issue's due date) and a timeline entry with the cause
 * for every change of level (its sentence with the EPSS value of the day). A row another writer changed between the read and the write (a sync, a person) is
 * not overwritten: it is read again and recomputed. The dry run counts with the same code.
 */
export const reprioritiseIssues = async (
  db: Db,
  ids: number[],
  o: ReprioritiseOptions,
): Promise<ReprioritiseResult> => {
  const size = o.chunkSize ?? 2000
  const moves = new Map<string, PriorityMove>()
  const result = { examined: 0, written: 0, changed: 0 }
  for (let k = 0; k < ids.length; k += size) {
    let todo = ids.slice(k, k + size)
    for (let attempt = 0; todo.length > 0; attempt++) {
      if (attempt >= 10) throw new Error(`issues ${todo.slice(0, 5).join(', ')} kept changing while recomputed`)
      const run = (q: Queryable) => reprioritiseChunk(q, todo, o)
      const r = o.tx ? await run(o.tx) : await db.transaction(run)
      result.examined += r.examined
      result.written += r.written
      for (const m of r.moves) {
        const key = `${m.from}>${m.to}`
        const prev = moves.get(key)
        if (prev) {
          prev.count += m.count
          prev.open += m.open
        } else moves.set(key, { ...m })
      }
      todo = r.conflicts
    }
    o.onChunk?.(Math.min(ids.length, k + size), ids.length)
  }
  const list = [...moves.values()].sort((a, b) => b.count - a.count || a.from.localeCompare(b.from))
  result.changed = list.reduce((n, m) => n + m.count, 0)
  return { moves: list, ...result }
}

interface Outcome {
  id: number
  v: string
  move: { from: SlaLevel; to: SlaLevel; open: boolean } | null
  write: Record<string, unknown> | null
  events: IssueEventInput[]
}

/**
 * One chunk. Returns what it did for the issues it settled, and as conflicts the ids written by someone else since
 * they were read (they are not counted here: the next attempt reads, counts and writes them).
 */
const reprioritiseChunk = async (q: Queryable, ids: number[], o: ReprioritiseOptions) => {
  const { rows: issues } = await q.query<IssueNow>(
    `SELECT i.id, i.xmin::text AS v, i.workspace_id, i.cve, i.aliases, i.status, i.priority, i.detected_at,
            i.sla_due_at, i.factors, i.explanation, i.kev,
            a.name AS app_name, a.business_priority AS app_priority, a.source_label AS app_label
       FROM issues i LEFT JOIN applications a ON a.id = i.application_id WHERE i.id = ANY($1::bigint[])`,
    [ids],
  )
  const { rows: sources } = await q.query<SourceOf & { issue_id: number }>(
    `SELECT o.issue_id, c.kind, o.severity, o.signals, o.vendor_factors, o.vendor_state, o.state, r.archived
       FROM occurrences o
       JOIN connections c ON c.id = o.connection_id
       LEFT JOIN repositories r ON r.id = o.repository_id
      WHERE o.issue_id = ANY($1::bigint[])`,
    [ids],
  )
  const byIssue = new Map<number, SourceOf[]>()
  for (const s of sources) {
    const g = byIssue.get(s.issue_id)
    if (g) g.push(s)
    else byIssue.set(s.issue_id, [s])
  }
  const lookup = await lookupFeeds(
    q,
    issues.flatMap((i) => feedKeys(i.cve, i.aliases)),
  )
  const workspaces = issues.map((i) => i.workspace_id)
  const policies = await getPriorityPolicies(q, workspaces)
  if (o.policy) policies.set(o.policy.workspaceId, o.policy.policy)
  const slas = await getSlaPolicies(q, workspaces)

  const outcomes: Outcome[] = []
  for (const i of issues) {
    const g = byIssue.get(i.id)
    if (!g?.length) continue // an issue without occurrences is removed by its next sync recompute
    const feeds = evidenceOf(lookup, i.cve, i.aliases)
    // the form the issue stores: the EPSS value as a mark, so a score that moved within its band changes nothing
    const p = prioritiseSources(g, {
      feeds,
      policy: policies.get(i.workspace_id)!,
      business: i.app_name
        ? { application: i.app_name, businessPriority: i.app_priority, sourceLabel: i.app_label }
        : null,
      stored: true,
    })
    const next = reprioritised(
      {
        status: i.status,
        priority: i.priority,
        slaDueAt: i.sla_due_at ? new Date(i.sla_due_at) : null,
        detectedAt: new Date(i.detected_at),
      },
      p,
      slas.get(i.workspace_id)!,
      o.cause,
    )
    const unchanged =
      p.priority === i.priority &&
      p.explanation === i.explanation &&
      same(p.factors, i.factors) &&
      same(feeds.kev, i.kev) &&
      time(next.slaDueAt) === time(i.sla_due_at)
    outcomes.push({
      id: i.id,
      v: i.v,
      move: p.priority === i.priority ? null : { from: i.priority, to: p.priority, open: i.status === 'open' },
      write: unchanged
        ? null
        : {
            id: i.id,
            v: i.v,
            priority: p.priority,
            priority_rank: severityRank(p.priority),
            factors: p.factors,
            explanation: p.explanation,
            kev: feeds.kev,
            sla_due_at: next.slaDueAt?.toISOString() ?? null,
          },
      events: next.timeline.map((d) => ({
        issue_id: i.id,
        workspace_id: i.workspace_id,
        type: d.type,
        // the history keeps the sentence as it read then, with the value that moved it
        detail: d.type === 'priority' ? { ...d, explanation: renderEpssMarks(d.explanation, feeds.epss) } : { ...d },
      })),
    })
  }
  let conflicts = new Set<number>()
  const writes = outcomes.filter((x) => x.write !== null)
  if (!o.dryRun && writes.length > 0) {
    const { rows: written } = await q.query<{ id: number }>(
      `UPDATE issues i SET priority = x.priority, priority_rank = x.priority_rank, factors = x.factors,
          explanation = x.explanation, kev = x.kev, sla_due_at = x.sla_due_at, updated_at = $2
         FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, v text, priority text, priority_rank smallint,
           factors json, explanation text, kev jsonb, sla_due_at timestamptz)
        WHERE i.id = x.id AND i.xmin::text = x.v
        RETURNING i.id`,
      [JSON.stringify(writes.map((w) => w.write)), o.now],
    )
    const done = new Set(written.map((w) => w.id))
    conflicts = new Set(writes.filter((w) => !done.has(w.id)).map((w) => w.id))
  }
  const settled = outcomes.filter((x) => !conflicts.has(x.id))
  if (!o.dryRun)
    await insertIssueEvents(
      q,
      settled.flatMap((x) => x.events),
      o.actor,
      { at: o.now },
    )
  const moves = new Map<string, PriorityMove>()
  for (const x of settled) {
    if (!x.move) continue
    const key = `${x.move.from}>${x.move.to}`
    const m = moves.get(key) ?? { from: x.move.from, to: x.move.to, count: 0, open: 0 }
    m.count++
    if (x.move.open) m.open++
    moves.set(key, m)
  }
  return {
    examined: issues.length - conflicts.size,
    written: o.dryRun ? 0 : writes.length - conflicts.size,
    moves: [...moves.values()],
    conflicts: [...conflicts],
  }
}

/** Every issue of a workspace, in id order (what a policy change recomputes). */
export const workspaceIssueIds = async (db: Queryable, workspaceId: string): Promise<number[]> =>
  (await db.query<{ id: number }>(`SELECT id FROM issues WHERE workspace_id = $1 ORDER BY id`, [workspaceId])).rows.map(
    (r) => r.id,
  )
