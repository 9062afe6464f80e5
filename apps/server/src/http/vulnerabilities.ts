import { SEVERITIES } from '@vulnsync/core'
import type { Queryable } from '@vulnsync/db'
import { z } from 'zod'
import { ApiError } from './errors.ts'
import { findUnstorable } from './route.ts'
import { DbId } from './schemas.ts'
import { type IssueRow, issueView } from './views.ts'

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

export const SORTS = ['priority', 'severity', 'detectedAt', '-detectedAt', 'cve', 'lastSeenAt'] as const

export const VulnFilterSchema = z.object({
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
})

export const VulnListSchema = VulnFilterSchema.extend({
  sort: z.enum(SORTS).default('priority'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
})

type Filter = z.infer<typeof VulnFilterSchema>

/** Builds the WHERE clause of the queue from the filters, with numbered parameters. */
export const buildWhere = (workspaceId: string, f: Filter) => {
  const params: unknown[] = [workspaceId]
  const where = ['i.workspace_id = $1']
  const p = (v: unknown) => {
    params.push(v)
    return `$${params.length}`
  }
  if (f.source?.length)
    where.push(
      `EXISTS (SELECT 1 FROM issue_sources s WHERE s.issue_id = i.id AND s.kind = ANY(${p(f.source)}::text[]))`,
    )
  if (f.connectionId)
    where.push(
      `EXISTS (SELECT 1 FROM issue_sources s WHERE s.issue_id = i.id AND s.connection_id = ${p(f.connectionId)})`,
    )
  if (f.severity?.length) where.push(`i.severity = ANY(${p(f.severity)}::text[])`)
  if (f.priority?.length) where.push(`i.priority = ANY(${p(f.priority)}::text[])`)
  if (f.status?.length) where.push(`i.status = ANY(${p(f.status)}::text[])`)
  if (f.repository) {
    if (/^\d+$/.test(f.repository)) where.push(`i.repository_id = ${p(f.repository)}`)
    else where.push(`lower(i.target_name) = lower(${p(f.repository)})`)
  }
  if (f.cve) {
    const c = f.cve.trim().toUpperCase()
    where.push(/^CVE-\d{4}-\d+$/.test(c) ? `i.cve = ${p(c)}` : `i.cve LIKE ${p(`${c.replace(/[%_\\]/g, '\\$&')}%`)}`)
  }
  if (f.package) {
    const v = f.package.trim()
    where.push(
      v.startsWith('pkg:')
        ? `i.package_key = ${p(v.replace(/@[^/@]*$/, ''))}`
        : `i.package_name ILIKE ${p(`%${v.replace(/[%_\\]/g, '\\$&')}%`)}`,
    )
  }
  if (f.q) {
    const like = p(`%${f.q.trim().replace(/[%_\\]/g, '\\$&')}%`)
    where.push(
      `(i.cve ILIKE ${like} OR i.package_name ILIKE ${like} OR i.target_name ILIKE ${like} OR i.aliases::text ILIKE ${like})`,
    )
  }
  return { where: where.join(' AND '), params, p }
}

/** What a sort column holds, so a cursor value is checked before it reaches SQL. */
type ColType = 'rank' | 'id' | 'time' | 'text'
const COL_TYPE: Record<string, ColType> = {
  'i.priority_rank': 'rank',
  'i.severity_rank': 'rank',
  'i.id': 'id',
  'i.detected_at': 'time',
  'i.last_seen_at': 'time',
  'i.cve': 'text',
}
const fitsColumn = (type: ColType, v: unknown): boolean => {
  switch (type) {
    case 'rank':
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 10
    case 'id':
      return Number.isSafeInteger(v) && (v as number) >= 0
    case 'time':
      // what toISOString() writes, and only that
      return typeof v === 'string' && v.length === 24 && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString() === v
    case 'text':
      return typeof v === 'string' && v.length <= 200 && findUnstorable(v) === null
  }
}

const ORDER: Record<(typeof SORTS)[number], { cols: [string, 'asc' | 'desc'][] }> = {
  priority: {
    cols: [
      ['i.priority_rank', 'desc'],
      ['i.severity_rank', 'desc'],
      ['i.id', 'desc'],
    ],
  },
  severity: {
    cols: [
      ['i.severity_rank', 'desc'],
      ['i.priority_rank', 'desc'],
      ['i.id', 'desc'],
    ],
  },
  detectedAt: {
    cols: [
      ['i.detected_at', 'asc'],
      ['i.id', 'asc'],
    ],
  },
  '-detectedAt': {
    cols: [
      ['i.detected_at', 'desc'],
      ['i.id', 'desc'],
    ],
  },
  cve: {
    cols: [
      ['i.cve', 'asc'],
      ['i.id', 'asc'],
    ],
  },
  lastSeenAt: {
    cols: [
      ['i.last_seen_at', 'desc'],
      ['i.id', 'desc'],
    ],
  },
}

const encodeCursor = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url')
const decodeCursor = (s: string, cols: [string, 'asc' | 'desc'][]): unknown[] => {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'))
    if (Array.isArray(v) && v.length === cols.length && cols.every(([c], k) => fitsColumn(COL_TYPE[c]!, v[k]))) return v
  } catch {}
  throw new ApiError(
    400,
    'invalid_cursor',
    'the cursor is not valid for this sort',
    'start again without a cursor, keeping the same sort',
  )
}

export const ISSUE_COLUMNS = `i.id, i.cve, i.aliases, i.package_key, i.package_name, i.ecosystem, i.versions, i.target_kind, i.target_name,
  i.target_url, i.repository_id, i.severity, i.priority, i.status, i.detected_at, i.first_seen_at, i.last_seen_at,
  i.fixed_at, i.fixed_versions, i.severity_rank, i.priority_rank,
  (SELECT json_agg(json_build_object('kind', s.kind, 'connectionId', s.connection_id, 'connectionName', c.name, 'present', s.present) ORDER BY s.kind, c.name)
     FROM issue_sources s JOIN connections c ON c.id = s.connection_id WHERE s.issue_id = i.id) AS sources`

export const listVulnerabilities = async (
  db: Queryable,
  workspaceId: string,
  q: z.infer<typeof VulnListSchema>,
  o: { total?: boolean } = {},
) => {
  const { where, params, p } = buildWhere(workspaceId, q)
  const order = ORDER[q.sort].cols
  const conds = [where]
  if (q.cursor) {
    const vals = decodeCursor(q.cursor, order)
    // keyset condition over mixed directions: (a, b, c) after (va, vb, vc)
    const ors: string[] = []
    for (let k = 0; k < order.length; k++) {
      const eqs = order.slice(0, k).map(([col], j) => `${col} = ${p(vals[j])}`)
      const [col, dir] = order[k]!
      eqs.push(`${col} ${dir === 'asc' ? '>' : '<'} ${p(vals[k])}`)
      ors.push(`(${eqs.join(' AND ')})`)
    }
    conds.push(`(${ors.join(' OR ')})`)
  }
  const sql = `SELECT ${ISSUE_COLUMNS} FROM issues i WHERE ${conds.join(' AND ')}
    ORDER BY ${order.map(([c, d]) => `${c} ${d}`).join(', ')} LIMIT ${q.limit + 1}`
  const { rows } = await db.query<IssueRow & Record<string, any>>(sql, params)
  const more = rows.length > q.limit
  const page = rows.slice(0, q.limit)
  const last = page.at(-1)
  const colValue = (row: any, col: string) => {
    const v = row[col.replace(/^i\./, '')]
    return v instanceof Date ? v.toISOString() : v
  }
  let total = -1
  if (o.total !== false) {
    const { where: w2, params: p2 } = buildWhere(workspaceId, q)
    total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM issues i WHERE ${w2}`, p2)).rows[0]!.n
  }
  return {
    items: page.map(issueView),
    nextCursor: more && last ? encodeCursor(order.map(([c]) => colValue(last, c))) : null,
    total,
  }
}

export const summarize = async (db: Queryable, workspaceId: string, f: Filter) => {
  const { where, params } = buildWhere(workspaceId, f)
  const { rows } = await db.query<{ kind: string; level: string; n: number }>(
    `SELECT 'severity' AS kind, i.severity AS level, count(*)::int AS n FROM issues i WHERE ${where} GROUP BY i.severity
     UNION ALL
     SELECT 'priority', i.priority, count(*)::int FROM issues i WHERE ${where} GROUP BY i.priority`,
    params,
  )
  const zero = () => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<string, number>
  const bySeverity = zero()
  const byPriority = zero()
  for (const r of rows) (r.kind === 'severity' ? bySeverity : byPriority)[r.level] = r.n
  return { total: Object.values(bySeverity).reduce((a, b) => a + b, 0), bySeverity, byPriority }
}

const csvCell = (v: unknown) => {
  let s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v)
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}` // no formula injection in spreadsheets
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

const CSV_HEADER =
  'id,cve,aliases,package,ecosystem,versions,target_kind,target,severity,priority,status,sources,detected_at,first_seen_at,last_seen_at,fixed_at,fixed_versions\n'

const csvRows = (items: ReturnType<typeof issueView>[]) => {
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
export const openCsvExport = async (
  db: Queryable,
  workspaceId: string,
  f: z.infer<typeof VulnListSchema>,
): Promise<AsyncGenerator<string>> => {
  const page = (cursor: string | undefined) =>
    listVulnerabilities(db, workspaceId, { ...f, limit: 500, cursor }, { total: false })
  const first = await page(undefined)
  return (async function* () {
    yield CSV_HEADER + csvRows(first.items)
    let next = first.nextCursor
    while (next) {
      const p = await page(next)
      yield csvRows(p.items)
      next = p.nextCursor
    }
  })()
}
