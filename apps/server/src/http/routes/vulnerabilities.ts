import { Readable } from 'node:stream'
import { Summary, VulnerabilityDetail, VulnerabilityPage } from '@vulnsync/api'
import { SEVERITIES } from '@vulnsync/core'
import {
  getIssue,
  listIssueOccurrences,
  listIssues,
  QUEUE_SORTS,
  type Queryable,
  type QueueFilter,
  summarizeIssues,
} from '@vulnsync/db'
import { z } from 'zod'
import type { Runtime } from '../../runtime.ts'
import { ApiError } from '../errors.ts'
import { presentIssue, presentIssueDetail } from '../presenters/issue.ts'
import type { Router } from '../route.ts'
import { DbId, DbIdParams } from '../schemas.ts'

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
  status: csv(['open', 'fixed', 'excluded']),
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
}) satisfies z.ZodType<QueueFilter>

export const QueueListQuery = QueueFilterQuery.extend({
  sort: z.enum(QUEUE_SORTS).default('priority'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
})
type QueueListQuery = z.infer<typeof QueueListQuery>

const csvCell = (v: unknown) => {
  let s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v)
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}` // no formula injection in spreadsheets
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

const CSV_HEADER =
  'id,cve,aliases,package,ecosystem,versions,target_kind,target,severity,priority,status,sources,detected_at,first_seen_at,last_seen_at,fixed_at,fixed_versions\n'

const csvRows = (items: ReturnType<typeof presentIssue>[]) => {
  let out = ''
  for (const i of items)
    out += `${[i.id, i.cve, i.aliases, i.package.purl, i.package.ecosystem, i.versions, i.target.kind, i.target.name, i.severity, i.priority, i.status, i.sources.map((s) => s.kind), i.detectedAt, i.firstSeenAt, i.lastSeenAt, i.fixedAt, i.fixedVersions].map(csvCell).join(',')}\n`
  return out
}

/**
 * The current view as CSV, page by page (never the whole queue in memory). The first page is read before this
 * returns, so a query that fails does so before any header is sent; a later failure makes the stream fail, and the
 * HTTP layer then breaks the connection instead of ending the body cleanly, so the client sees the transfer failed.
 */
const openCsvExport = async (db: Queryable, workspaceId: string, q: QueueListQuery) => {
  const page = (cursor: string | undefined) =>
    listIssues(db, workspaceId, q, { sort: q.sort, limit: 500, cursor }, { total: false })
  const first = await page(undefined)
  return (async function* () {
    yield CSV_HEADER + csvRows(first.rows.map(presentIssue))
    let next = first.nextCursor
    while (next) {
      const p = await page(next)
      yield csvRows(p.rows.map(presentIssue))
      next = p.nextCursor
    }
  })()
}

export const vulnerabilityRoutes = (rt: Runtime, r: Router) => {
  r.add({
    method: 'GET',
    url: '/api/v1/vulnerabilities',
    access: 'viewer',
    summary:
      'The deduplicated queue: filter by source tool, severity, priority, status, repository, CVE, package, free text; cursor paging',
    tags: ['vulnerabilities'],
    query: QueueListQuery,
    response: VulnerabilityPage,
    handler: async ({ query }) => {
      const page = await listIssues(rt.db, rt.workspaceId, query, query)
      return { items: page.rows.map(presentIssue), nextCursor: page.nextCursor, total: page.total }
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
    handler: async ({ query }) => {
      const zero = () =>
        Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<(typeof SEVERITIES)[number], number>
      const bySeverity = zero()
      const byPriority = zero()
      for (const x of await summarizeIssues(rt.db, rt.workspaceId, query))
        (x.kind === 'severity' ? bySeverity : byPriority)[x.level as (typeof SEVERITIES)[number]] = x.n
      return { total: Object.values(bySeverity).reduce((a, b) => a + b, 0), bySeverity, byPriority }
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
    handler: async ({ query, reply }) => {
      const rows = await openCsvExport(rt.db, rt.workspaceId, query)
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
      const issue = await getIssue(rt.db, rt.workspaceId, params.id)
      if (!issue) throw new ApiError(404, 'not_found', `vulnerability ${params.id} does not exist`)
      return presentIssueDetail(issue, await listIssueOccurrences(rt.db, issue.id))
    },
  })
}
