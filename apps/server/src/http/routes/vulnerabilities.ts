import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import {
  BulkResult,
  ISSUE_STATUS_VALUES,
  STAGE_VALUES,
  Stage,
  Summary,
  Timeline,
  type Vulnerability,
  VulnerabilityDetail,
  VulnerabilityPage,
} from '@vulnsync/api'
import { SEVERITIES, type SlaPolicy } from '@vulnsync/core'
import {
  getIssue,
  getSlaPolicy,
  listIssueEvents,
  listIssueIds,
  listIssueOccurrences,
  listIssues,
  type Principal,
  QUEUE_SORTS,
  type Queryable,
  type QueueFilter,
  summarizeIssues,
} from '@vulnsync/db'
import { z } from 'zod'
import type { Runtime } from '../../runtime.ts'
import { recordDecision } from '../../workflow/decisions.ts'
import { changeIssues, lockIssues, MAX_COMMENT } from '../../workflow/issues.ts'
import { ApiError } from '../errors.ts'
import { type IssueContext, presentIssue, presentIssueDetail } from '../presenters/issue.ts'
import { presentTimeline } from '../presenters/timeline.ts'
import { eventActor } from '../principal.ts'
import type { Router } from '../route.ts'
import { DbId, DbIdParams } from '../schemas.ts'
import { DecisionFields } from './decisions.ts'

/** A comma-separated list of known values (`severity=critical,high`). */
const csv = (values: readonly string[]) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s) return undefined
      const parts = s
        .split(',')
        .map((p) => p.trim().toLowerCase())
        .filter(Boolean)
      for (const p of parts)
        if (!values.includes(p))
          ctx.addIssue({
            code: 'custom',
            message: `unknown value ${JSON.stringify(p)}; use one of ${values.join(', ')}`,
          })
      return parts
    })

export const QueueFilterQuery = z.object({
  source: z
    .string()
    .optional()
    .transform((s) =>
      s
        ? s
            .split(',')
            .map((p) => p.trim().toLowerCase())
            .filter(Boolean)
        : undefined,
    ),
  severity: csv(SEVERITIES),
  priority: csv(SEVERITIES),
  status: csv(ISSUE_STATUS_VALUES),
  stage: csv(STAGE_VALUES),
  /** a user id, `me`, or `none` for unassigned issues */
  assignee: z
    .string()
    .trim()
    .optional()
    .refine((v) => v === undefined || v === 'me' || v === 'none' || z.string().uuid().safeParse(v).success, {
      message: 'use a user id, me, or none',
    }),
  /** SLA states of open issues */
  sla: csv(['breached', 'due_soon', 'ok']),
  needsReview: z.enum(['true', 'false']).optional(),
  /** listed in CISA KEV (true) or not (false) */
  kev: z.enum(['true', 'false']).optional(),
  /** EPSS score at least this (0 to 1) */
  epssMin: z.coerce.number().min(0).max(1).optional(),
  /** a repository id, or a target name */
  repository: z
    .string()
    .trim()
    .max(300)
    .optional()
    .refine((v) => v === undefined || !/^\d+$/.test(v) || DbId.safeParse(v).success, {
      message: 'a numeric repository id must be at most 9223372036854775807',
    }),
  cve: z.string().max(100).optional(),
  package: z.string().max(300).optional(),
  q: z.string().max(200).optional(),
  connectionId: z.string().uuid().optional(),
  /** the owning team's id, or `none` for issues no team owns */
  team: z
    .string()
    .trim()
    .optional()
    .refine((v) => v === undefined || v === 'none' || z.string().uuid().safeParse(v).success, {
      message: 'use a team id or none',
    }),
  /** an application's id, or `none` */
  application: z
    .string()
    .trim()
    .optional()
    .refine((v) => v === undefined || v === 'none' || z.string().uuid().safeParse(v).success, {
      message: 'use an application id or none',
    }),
})
type QueueFilterQuery = z.infer<typeof QueueFilterQuery>

export const QueueListQuery = QueueFilterQuery.extend({
  sort: z.enum(QUEUE_SORTS).default('priority'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
})
type QueueListQuery = z.infer<typeof QueueListQuery>

/** A parsed query as the queue store's filter: `assignee=me` is the caller, SLA states are judged now. */
export const toQueueFilter = (q: QueueFilterQuery, principal: Principal, policy: SlaPolicy, now: Date): QueueFilter => {
  let assignee: string | null | undefined
  if (q.assignee === 'none') assignee = null
  else if (q.assignee === 'me') {
    if (!principal.userId)
      throw new ApiError(400, 'invalid_request', 'query.assignee: this API token belongs to no user, so it has no "me"')
    assignee = principal.userId
  } else assignee = q.assignee
  return {
    ...q,
    team: q.team === 'none' ? null : q.team,
    application: q.application === 'none' ? null : q.application,
    assignee,
    needsReview: q.needsReview === 'true',
    kev: q.kev === undefined ? undefined : q.kev === 'true',
    sla: q.sla?.length ? { states: q.sla, now, dueSoonDays: policy.dueSoonDays } : undefined,
  }
}

export const csvCell = (v: unknown) => {
  let s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v)
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}` // no formula injection in spreadsheets
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** the owner columns come last, so a spreadsheet built on the earlier columns keeps working */
const CSV_HEADER =
  'id,cve,aliases,package,ecosystem,versions,target_kind,target,severity,priority,status,sources,detected_at,first_seen_at,last_seen_at,fixed_at,fixed_versions,stage,assignee,sla_due_at,sla_state,sla_days_left,decision,decision_reason,decision_expires_at,owner_team,application,owner_source,owner_reason\n'

/** The workflow, SLA and decision columns of a row (after the finding's own; the owner's come last). */
const workflowCells = (i: Vulnerability) => [
  i.stage,
  i.assignee?.username,
  i.sla?.dueAt,
  i.sla ? (i.sla.metSla === undefined ? i.sla.state : i.sla.metSla ? 'met' : 'missed') : undefined,
  i.sla?.daysLeft,
  i.decision?.kind,
  i.decision?.reason,
  i.decision?.expiresAt,
]

const csvRows = (items: Vulnerability[]) => {
  let out = ''
  for (const i of items)
    out += `${[i.id, i.cve, i.aliases, i.package.purl, i.package.ecosystem, i.versions, i.target.kind, i.target.name, i.severity, i.priority, i.status, i.sources.map((s) => s.kind), i.detectedAt, i.firstSeenAt, i.lastSeenAt, i.fixedAt, i.fixedVersions, ...workflowCells(i), i.owner.team?.name, i.owner.application?.name, i.owner.source, i.owner.reason].map(csvCell).join(',')}\n`
  return out
}

/**
 * The current view as CSV, page by page (never the whole queue in memory). The first page is read before this
 * returns, so a query that fails does so before any header is sent; a later failure makes the stream fail, and the
 * HTTP layer then breaks the connection instead of ending the body cleanly, so the client sees the transfer failed.
 */
const openCsvExport = async (
  db: Queryable,
  workspaceId: string,
  f: QueueFilter,
  q: QueueListQuery,
  ctx: IssueContext,
) => {
  const page = (cursor: string | undefined) =>
    listIssues(db, workspaceId, f, { sort: q.sort, limit: 500, cursor }, { total: false })
  const present = (rows: Awaited<ReturnType<typeof page>>['rows']) => csvRows(rows.map((i) => presentIssue(i, ctx)))
  const first = await page(undefined)
  return (async function* () {
    yield CSV_HEADER + present(first.rows)
    let next = first.nextCursor
    while (next) {
      const p = await page(next)
      yield present(p.rows)
      next = p.nextCursor
    }
  })()
}

export const vulnerabilityRoutes = (rt: Runtime, r: Router) => {
  /** the SLA policy and the time every issue of one answer is judged by */
  const context = async (): Promise<IssueContext & { policy: SlaPolicy }> => ({
    policy: await getSlaPolicy(rt.db, rt.workspaceId),
    now: rt.now(),
  })
  const filterOf = async (q: QueueFilterQuery, principal: Principal) => {
    const ctx = await context()
    return { ctx, filter: toQueueFilter(q, principal, ctx.policy, ctx.now) }
  }

  r.add({
    method: 'GET',
    url: '/api/v1/vulnerabilities',
    access: 'viewer',
    summary:
      'The deduplicated queue: filter by source tool, severity, priority, status, repository, CVE, package, free text; cursor paging',
    tags: ['vulnerabilities'],
    query: QueueListQuery,
    response: VulnerabilityPage,
    handler: async ({ query, principal }) => {
      const { ctx, filter } = await filterOf(query, principal)
      const page = await listIssues(rt.db, rt.workspaceId, filter, query)
      return {
        items: page.rows.map((i) => presentIssue(i, ctx)),
        nextCursor: page.nextCursor,
        total: page.total,
        totalIsEstimate: page.totalIsEstimate,
      }
    },
  })
  r.add({
    method: 'GET',
    url: '/api/v1/vulnerabilities/summary',
    access: 'viewer',
    summary: 'Counts per severity and priority for the same filters',
    tags: ['vulnerabilities'],
    query: QueueFilterQuery,
    response: Summary,
    handler: async ({ query, principal }) => {
      const { filter } = await filterOf(query, principal)
      const zero = () =>
        Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<(typeof SEVERITIES)[number], number>
      const bySeverity = zero()
      const byPriority = zero()
      const s = await summarizeIssues(rt.db, rt.workspaceId, filter)
      for (const x of s.rows)
        (x.kind === 'severity' ? bySeverity : byPriority)[x.level as (typeof SEVERITIES)[number]] = x.n
      return { total: s.total, totalIsEstimate: s.estimate, bySeverity, byPriority }
    },
  })
  r.add({
    method: 'GET',
    url: '/api/v1/vulnerabilities/export.csv',
    access: 'viewer',
    summary: 'The current view as CSV',
    tags: ['vulnerabilities'],
    query: QueueListQuery,
    produces: 'text/csv',
    handler: async ({ query, reply, principal }) => {
      const { ctx, filter } = await filterOf(query, principal)
      const rows = await openCsvExport(rt.db, rt.workspaceId, filter, query, ctx)
      reply.header('content-type', 'text/csv; charset=utf-8')
      reply.header(
        'content-disposition',
        `attachment; filename="vulnsync-${new Date().toISOString().slice(0, 10)}.csv"`,
      )
      return reply.send(Readable.from(rows))
    },
  })
  r.add({
    method: 'GET',
    url: '/api/v1/vulnerabilities/:id',
    access: 'viewer',
    summary:
      'One issue with every source occurrence (vendor severity, detection time, evidence, fixed versions, link, raw record) and its severity factors',
    tags: ['vulnerabilities'],
    params: DbIdParams,
    response: VulnerabilityDetail,
    handler: async ({ params }) => {
      const issue = await loadIssue(params.id)
      return presentIssueDetail(issue, await listIssueOccurrences(rt.db, issue.id), await context())
    },
  })

  const loadIssue = async (id: string) => {
    const issue = await getIssue(rt.db, rt.workspaceId, id)
    if (!issue)
      throw new ApiError(
        404,
        'not_found',
        `vulnerability ${id} does not exist`,
        'list them with GET /api/v1/vulnerabilities',
      )
    return issue
  }

  r.add({
    method: 'PATCH',
    url: '/api/v1/vulnerabilities/:id',
    access: 'member',
    summary: 'Assign an issue (assigneeId: a user id, or null) or move its stage (open issues only)',
    tags: ['workflow'],
    params: DbIdParams,
    body: z
      .object({ assigneeId: z.string().uuid().nullable().optional(), stage: Stage.optional() })
      .refine((b) => b.assigneeId !== undefined || b.stage !== undefined, {
        message: 'send assigneeId, stage, or both',
      }),
    response: VulnerabilityDetail,
    handler: async ({ params, body, principal }) => {
      await rt.db.transaction(async (tx) => {
        const issues = await lockIssues(tx, rt.workspaceId, [params.id])
        await changeIssues(tx, rt.workspaceId, issues, body, eventActor(principal), { now: rt.now() })
      })
      const issue = await loadIssue(params.id)
      return presentIssueDetail(issue, await listIssueOccurrences(rt.db, issue.id), await context())
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/vulnerabilities/:id/comments',
    access: 'member',
    summary: `Comment on an issue (markdown, at most ${MAX_COMMENT.toLocaleString('en')} characters); it joins the timeline`,
    tags: ['workflow'],
    params: DbIdParams,
    body: z.object({ body: z.string().trim().min(1, 'a comment needs text') }),
    response: Timeline,
    status: 201,
    handler: async ({ params, body, principal }) => {
      await rt.db.transaction(async (tx) => {
        const issues = await lockIssues(tx, rt.workspaceId, [params.id])
        await changeIssues(tx, rt.workspaceId, issues, { comment: body.body }, eventActor(principal), { now: rt.now() })
      })
      return timelineOf(params.id)
    },
  })

  const timelineOf = async (id: string) => {
    const issue = await loadIssue(id)
    return presentTimeline(await listIssueEvents(rt.db, issue.id), await listIssueOccurrences(rt.db, issue.id))
  }

  r.add({
    method: 'GET',
    url: '/api/v1/vulnerabilities/:id/timeline',
    access: 'viewer',
    summary:
      'Everything that happened to an issue: detections and sources, priority changes and why, assignment, stages, decisions, comments, fixed and reopened',
    tags: ['workflow'],
    params: DbIdParams,
    response: Timeline,
    handler: async ({ params }) => timelineOf(params.id),
  })

  r.add({
    method: 'POST',
    url: '/api/v1/vulnerabilities/bulk',
    access: 'member',
    summary:
      'One action on many issues, all or nothing: by ids, or by a queue filter (every issue it matches); one timeline entry per issue, sharing the bulk id',
    tags: ['workflow'],
    body: z
      .object({
        ids: z.array(DbId).min(1).max(1_000_000).optional(),
        filter: QueueFilterQuery.optional(),
        action: z
          .object({
            assigneeId: z.string().uuid().nullable().optional(),
            stage: Stage.optional(),
            comment: z.string().trim().min(1).optional(),
            decision: DecisionFields.optional(),
          })
          .refine((a) => Object.values(a).filter((v) => v !== undefined).length === 1, {
            message: 'give exactly one of assigneeId, stage, comment or decision',
          }),
      })
      .refine((b) => (b.ids === undefined) !== (b.filter === undefined), {
        message: 'give either ids or a filter',
        path: ['ids'],
      }),
    response: BulkResult,
    handler: async ({ body, principal }) => {
      const ctx = await context()
      const ids = body.ids
        ? [...new Set(body.ids)]
        : await listIssueIds(rt.db, rt.workspaceId, toQueueFilter(body.filter!, principal, ctx.policy, ctx.now))
      const bulkId = randomUUID()
      const actor = eventActor(principal)
      const o = { now: ctx.now, bulkId }
      const changed = await rt.db.transaction(async (tx) => {
        const issues = await lockIssues(tx, rt.workspaceId, ids)
        const { decision, ...change } = body.action
        if (!decision) return changeIssues(tx, rt.workspaceId, issues, change, actor, o)
        let n = 0
        for (const i of issues)
          n += (
            await recordDecision(
              tx,
              rt.workspaceId,
              {
                ...decision,
                expiresAt: decision.expiresAt ? new Date(decision.expiresAt) : null,
                issueId: String(i.id),
                scope: 'issue',
              },
              ctx.policy,
              { userId: principal.userId, actor },
              o,
            )
          ).changed
        return n
      })
      return { matched: ids.length, changed, bulkId }
    },
  })
}
