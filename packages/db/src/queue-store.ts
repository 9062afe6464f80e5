import {
  type EpssValue,
  isSeverity,
  isStorableText,
  renderEpssMarks,
  renderFactors,
  type SeverityFactor,
  severityRank,
} from '@vulnsync/core'
import type { Db, Queryable } from './driver.ts'
import { InputError } from './errors.ts'
import {
  listedTermsCondition,
  matchSearchTerms,
  packageNameCondition,
  type SearchTermMatch,
  searchTextCondition,
} from './search-terms.ts'

/**
 * The read side of the queue: filters, key-set paging, counts and one issue with its occurrences. The HTTP layer
 * parses requests into a QueueFilter; presenters turn the rows into the API's shapes.
 */

export const QUEUE_SORTS = ['priority', 'severity', 'detectedAt', '-detectedAt', 'cve', 'lastSeenAt', 'dueAt'] as const
export type QueueSort = (typeof QUEUE_SORTS)[number]

export interface QueueFilter {
  /** connector kinds reporting it */
  source?: string[] | undefined
  severity?: string[] | undefined
  priority?: string[] | undefined
  status?: string[] | undefined
  /** a repository id (digits) or a target name */
  repository?: string | undefined
  cve?: string | undefined
  /** a purl (exact package) or a name fragment */
  package?: string | undefined
  q?: string | undefined
  connectionId?: string | undefined
  /** a user id, or null for unassigned issues */
  assignee?: string | null | undefined
  stage?: string[] | undefined
  /** SLA states of open issues, judged at `now` with the policy's due-soon days */
  sla?: { states: string[]; now: Date; dueSoonDays: number } | undefined
  needsReview?: boolean | undefined
  /** listed in CISA KEV (true) or not (false) */
  kev?: boolean | undefined
  /** EPSS score at least this (the feed's current score, of its CVE or a CVE alias) */
  epssMin?: number | undefined
  /** the owning team's id, or null for issues no team owns */
  team?: string | null | undefined
  /** the application's id, or null for issues of no application */
  application?: string | null | undefined
  /** the search terms `q` and a package name fragment match, looked up by withSearchTerms (null: too many to list) */
  searchTerms?: { q?: SearchTermMatch | null; package?: SearchTermMatch | null } | undefined
}

export interface QueuePage {
  sort: QueueSort
  limit: number
  cursor?: string | undefined
}

export interface IssueRow {
  id: number
  cve: string
  aliases: string[]
  package_key: string
  package_name: string
  ecosystem: string
  versions: string[]
  target_kind: string
  target_name: string
  target_url: string | null
  target_versions: string[]
  repository_id: number | null
  severity: string
  priority: string
  status: string
  sources: { kind: string; connectionId: string; connectionName: string; present: boolean }[] | null
  detected_at: Date
  first_seen_at: Date
  last_seen_at: Date
  fixed_at: Date | null
  fixed_versions: string[]
  severity_rank: number
  priority_rank: number
  stage: string
  assignee_id: string | null
  assignee_name: string | null
  sla_due_at: Date | null
  closed_at: Date | null
  review_needed: boolean
  decision_id: number | null
  /** the governing decision, in brief (json: its expiry comes as text) */
  decision: {
    kind: string
    reason: string
    justification: string | null
    expires_at: string | null
    scope: string
    needs_review: boolean
  } | null
  due_sort: Date
  kev: { dateAdded: string; dueDate: string | null; knownRansomware: boolean } | null
  /** the feed's current score (the highest of its CVEs), joined from epss_scores when read */
  epss: EpssValue | null
  owner_team_id: string | null
  owner_team_name: string | null
  application_id: string | null
  application_name: string | null
  /** the source and reason of the owner (null until ownership is resolved for the issue) */
  owner: { source: string | null; reason: string | null } | null
}

export interface IssueDetailRow extends IssueRow {
  explanation: string
  factors: unknown[]
}

const escapeLike = (s: string) => s.replace(/[%_\\]/g, '\\$&')

/** what free text and a package name fragment look for: the text anywhere, case-blind, `%` and `_` as characters */
const containsLike = (text: string) => `%${escapeLike(text.trim())}%`
/** a package filter that is a name fragment (not a purl) */
const packageFragment = (f: QueueFilter) => (f.package && !f.package.trim().startsWith('pkg:') ? f.package : undefined)

/**
 * The filter with the search terms its free text and package name fragment match, looked up first (one query on
 * the terms' trigram index), so the query reading the issues has them as values: the planner then knows how many
 * issues they hold (ADR 0013). Without them, the query looks the terms up itself (the same issues).
 */
export const withSearchTerms = async (db: Queryable, workspaceId: string, f: QueueFilter): Promise<QueueFilter> => {
  const fragment = packageFragment(f)
  if (f.searchTerms || (!f.q?.trim() && fragment === undefined)) return f
  return {
    ...f,
    searchTerms: {
      q: f.q?.trim() ? await matchSearchTerms(db, workspaceId, containsLike(f.q)) : undefined,
      package:
        fragment !== undefined
          ? await matchSearchTerms(db, workspaceId, containsLike(fragment), { field: 'package' })
          : undefined,
    },
  }
}

/** levels as ranks; an unknown level matches nothing */
export const ranksOf = (levels: string[]) => levels.map((l) => (isSeverity(l) ? severityRank(l) : -1))

/** A statement's parameters, the first ones given, and `p` to add one and name it ($n). */
export const sqlParams = (...first: unknown[]) => {
  const params: unknown[] = [...first]
  const p = (v: unknown) => {
    params.push(v)
    return `$${params.length}`
  }
  return { params, p }
}

/** The WHERE clause of the queue from the filters, with numbered parameters. */
export const queueWhere = (workspaceId: string, f: QueueFilter) => {
  const { params, p } = sqlParams(workspaceId)
  const where = ['i.workspace_id = $1']
  if (f.source?.length)
    where.push(
      `EXISTS (SELECT 1 FROM issue_sources s WHERE s.issue_id = i.id AND s.kind = ANY(${p(f.source)}::text[]))`,
    )
  if (f.connectionId)
    where.push(
      `EXISTS (SELECT 1 FROM issue_sources s WHERE s.issue_id = i.id AND s.connection_id = ${p(f.connectionId)})`,
    )
  // by rank (a level's rank is fixed): the ranks are the sort indexes' columns, so a page is a skip scan of one of them
  if (f.severity?.length) where.push(`i.severity_rank = ANY(${p(ranksOf(f.severity))}::smallint[])`)
  if (f.priority?.length) where.push(`i.priority_rank = ANY(${p(ranksOf(f.priority))}::smallint[])`)
  if (f.status?.length) where.push(`i.status = ANY(${p(f.status)}::text[])`)
  if (f.repository) {
    // the id goes to the database as text: a bigint beyond 2^53 keeps every digit
    if (/^\d+$/.test(f.repository)) where.push(`i.repository_id = ${p(f.repository)}`)
    else where.push(`lower(i.target_name) = lower(${p(f.repository)})`) // issues_target_name
  }
  if (f.cve) {
    const c = f.cve.trim().toUpperCase()
    where.push(/^CVE-\d{4}-\d+$/.test(c) ? `i.cve = ${p(c)}` : `i.cve LIKE ${p(`${escapeLike(c)}%`)}`)
  }
  if (f.package) {
    const v = f.package.trim()
    where.push(
      v.startsWith('pkg:')
        ? `i.package_key = ${p(v.replace(/@[^/@]*$/, ''))}`
        : termsCondition(containsLike(v), f.searchTerms?.package, p, (like) => packageNameCondition('$1', like)),
    )
  }
  if (f.assignee !== undefined)
    where.push(f.assignee === null ? 'i.assignee_id IS NULL' : `i.assignee_id = ${p(f.assignee)}`)
  if (f.stage?.length) where.push(`i.stage = ANY(${p(f.stage)}::text[])`)
  if (f.needsReview) where.push('i.review_needed')
  if (f.kev !== undefined) where.push(f.kev ? 'i.kev IS NOT NULL' : 'i.kev IS NULL')
  if (f.epssMin !== undefined) {
    // the feed's current scores, of the issue's CVE (a primary-key probe, or one hash of the scores at or above the
    // bound when many issues are looked at) or, for the few issues with CVE aliases, of any of its CVEs
    const min = p(f.epssMin)
    where.push(
      `(EXISTS (SELECT 1 FROM epss_scores e WHERE e.cve = i.cve AND e.score >= ${min}::float8)
        OR (i.aliases::text ILIKE '%cve-%' AND EXISTS (SELECT 1 FROM epss_scores e
              WHERE e.cve = ANY(issue_feed_keys(i.cve, i.aliases)) AND e.score >= ${min}::float8)))`,
    )
  }
  if (f.team !== undefined) where.push(f.team === null ? 'i.owner_team_id IS NULL' : `i.owner_team_id = ${p(f.team)}`)
  if (f.application !== undefined)
    where.push(f.application === null ? 'i.application_id IS NULL' : `i.application_id = ${p(f.application)}`)
  if (f.sla?.states.length) {
    // open issues only; the index on (workspace_id, sla_due_at) WHERE status = 'open' serves each range
    const now = p(f.sla.now)
    // the due-soon bound is a parameter only when a state needs it (an unused parameter has no type)
    const soon = f.sla.states.some((st) => st !== 'breached')
      ? `${now}::timestamptz + make_interval(days => ${p(f.sla.dueSoonDays)})`
      : ''
    const ranges = f.sla.states.map((st) =>
      st === 'breached'
        ? `i.sla_due_at < ${now}`
        : st === 'due_soon'
          ? `(i.sla_due_at >= ${now} AND i.sla_due_at < ${soon})`
          : `i.sla_due_at >= ${soon}`,
    )
    where.push(`i.status = 'open' AND i.sla_due_at IS NOT NULL AND (${ranges.join(' OR ')})`)
  }
  // free text: a case-blind part of the CVE, the package name, the target name or an alias, through the search terms
  // (migration 0015); a text of spaces only matches every issue, as a pattern of %% would
  if (f.q?.trim())
    where.push(termsCondition(containsLike(f.q), f.searchTerms?.q, p, (like) => searchTextCondition('$1', like)))
  // filtered: a condition beyond the workspace (a reader of rows that are not issues joins the issue only then)
  return { where: where.join(' AND '), params, p, filtered: where.length > 1 }
}

/** the condition of a text's search terms: as values when they were looked up for this text, else looked up in SQL */
const termsCondition = (
  like: string,
  listed: SearchTermMatch | null | undefined,
  p: (v: unknown) => string,
  inSql: (like: string) => string,
) => (listed && listed.like === like ? listedTermsCondition(listed, p) : inSql(p(like)))

/** What a sort column holds, so a cursor value is checked before it reaches SQL. */
type ColType = 'rank' | 'id' | 'time' | 'text'
interface SortCol {
  col: string
  dir: 'asc' | 'desc'
  type: ColType
}
const c = (col: string, dir: 'asc' | 'desc', type: ColType): SortCol => ({ col, dir, type })
const DUE_SORT = `COALESCE(i.sla_due_at, '9999-12-31T00:00:00Z'::timestamptz)`
/** the row field a sort column's cursor value is read from */
const fieldOf = (col: string) => (col === DUE_SORT ? 'due_sort' : col.replace(/^i\./, ''))

const ORDER: Record<QueueSort, SortCol[]> = {
  priority: [c('i.priority_rank', 'desc', 'rank'), c('i.severity_rank', 'desc', 'rank'), c('i.id', 'desc', 'id')],
  severity: [c('i.severity_rank', 'desc', 'rank'), c('i.priority_rank', 'desc', 'rank'), c('i.id', 'desc', 'id')],
  detectedAt: [c('i.detected_at', 'asc', 'time'), c('i.id', 'asc', 'id')],
  '-detectedAt': [c('i.detected_at', 'desc', 'time'), c('i.id', 'desc', 'id')],
  cve: [c('i.cve', 'asc', 'text'), c('i.id', 'asc', 'id')],
  lastSeenAt: [c('i.last_seen_at', 'desc', 'time'), c('i.id', 'desc', 'id')],
  // soonest due first; issues without an SLA last
  dueAt: [c(DUE_SORT, 'asc', 'time'), c('i.id', 'asc', 'id')],
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
      return typeof v === 'string' && v.length <= 200 && isStorableText(v)
  }
}

const encodeCursor = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url')
const decodeCursor = (s: string, cols: SortCol[]): unknown[] => {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'))
    if (Array.isArray(v) && v.length === cols.length && cols.every((col, k) => fitsColumn(col.type, v[k]))) return v
  } catch {}
  throw new InputError(
    'invalid_cursor',
    'the cursor is not valid for this sort',
    'start again without a cursor, keeping the same sort',
  )
}

/**
 * An issue's EPSS value as it is now: the highest current score among its CVE and CVE aliases (as feedEvidence picks
 * it), read from epss_scores; an issue stores only which side of its policy's thresholds the score is on.
 */
export const EPSS_NOW = `(SELECT json_build_object('score', e.score, 'percentile', e.percentile, 'date', e.scored_on::text)
     FROM epss_scores e
    WHERE e.cve = ANY(CASE WHEN i.aliases::text ILIKE '%cve-%' THEN issue_feed_keys(i.cve, i.aliases) ELSE ARRAY[i.cve] END)
    ORDER BY e.score DESC, e.cve = upper(btrim(i.cve)) DESC, e.cve LIMIT 1) AS epss`

export const ISSUE_COLUMNS = `i.id, i.cve, i.aliases, i.package_key, i.package_name, i.ecosystem, i.versions, i.target_kind, i.target_name,
  i.target_url, i.target_versions, i.repository_id, i.severity, i.priority, i.status, i.detected_at, i.first_seen_at, i.last_seen_at,
  i.fixed_at, i.fixed_versions, i.severity_rank, i.priority_rank, i.stage, i.assignee_id, i.sla_due_at, i.closed_at,
  i.review_needed, i.decision_id, ${DUE_SORT} AS due_sort, i.kev, ${EPSS_NOW}, i.owner_team_id, i.application_id,
  (SELECT t.name FROM teams t WHERE t.id = i.owner_team_id) AS owner_team_name,
  (SELECT a.name FROM applications a WHERE a.id = i.application_id) AS application_name,
  (SELECT json_build_object('source', oc.source, 'reason', oc.reason) FROM owner_contexts oc WHERE oc.id = i.owner_context_id) AS owner,
  (SELECT u.username FROM users u WHERE u.id = i.assignee_id) AS assignee_name,
  (SELECT json_build_object('kind', d.kind, 'reason', d.reason, 'justification', d.justification, 'expires_at', d.expires_at,
          'scope', d.scope, 'needs_review', d.needs_review) FROM decisions d WHERE d.id = i.decision_id) AS decision,
  (SELECT json_agg(json_build_object('kind', s.kind, 'connectionId', s.connection_id, 'connectionName', c.name, 'present', s.present) ORDER BY s.kind, c.name)
     FROM issue_sources s JOIN connections c ON c.id = s.connection_id WHERE s.issue_id = i.id) AS sources`

/**
 * Below this many matching issues a total (and the summary's counts) is counted exactly; above it, it is the
 * planner's estimate, flagged. Counting a million matches costs a scan of a million index entries with every page
 * (a quarter of a second on PostgreSQL, seconds on PGlite); counting 10,000 costs a few milliseconds.
 */
export const EXACT_COUNT_LIMIT = 10_000

/** The planner's estimate of the rows a query returns (EXPLAIN, nothing executed). */
const planRows = async (db: Queryable, sql: string, params: unknown[]): Promise<number> => {
  const { rows } = await db.query<Record<string, unknown>>(`EXPLAIN (FORMAT JSON) ${sql}`, params)
  const cell = Object.values(rows[0] ?? {})[0]
  const plan = (typeof cell === 'string' ? JSON.parse(cell) : cell) as { Plan: { 'Plan Rows': number } }[]
  return Math.round(plan[0]!.Plan['Plan Rows'])
}

/**
 * How many issues match a filter: exact when that is cheap (the planner expects at most EXACT_COUNT_LIMIT and a
 * count bounded to one more than that confirms it), otherwise the planner's estimate, flagged; never less than
 * `atLeast` (the rows already seen).
 */
export const countIssues = async (
  db: Queryable,
  workspaceId: string,
  filter: QueueFilter,
  o: { atLeast?: number; exactLimit?: number; planned?: number } = {},
): Promise<{ total: number; estimate: boolean }> => {
  const f = await withSearchTerms(db, workspaceId, filter)
  const { where, params } = queueWhere(workspaceId, f)
  const atLeast = o.atLeast ?? 0
  const limit = o.exactLimit ?? EXACT_COUNT_LIMIT
  // `planned`: the caller's estimate of the same filter
  const est = o.planned ?? (await planRows(db, `SELECT 1 FROM issues i WHERE ${where}`, params))
  if (est <= limit) {
    const n = (
      await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (SELECT 1 FROM issues i WHERE ${where} LIMIT ${limit + 1}) x`,
        params,
      )
    ).rows[0]!.n
    if (n <= limit) return { total: n, estimate: false }
    return { total: Math.max(est, n, atLeast), estimate: true }
  }
  return { total: Math.max(est, atLeast), estimate: true }
}

/**
 * One page of the queue in key-set order, and the total of the filter (unless `total: false`, then -1): exact when
 * the first page is the whole answer or the match is small, otherwise an estimate (`totalIsEstimate`).
 */
export const listIssues = async (
  db: Queryable,
  workspaceId: string,
  filter: QueueFilter,
  page: QueuePage,
  o: { total?: boolean; exactLimit?: number } = {},
): Promise<{ rows: IssueRow[]; nextCursor: string | null; total: number; totalIsEstimate: boolean }> => {
  const f = await withSearchTerms(db, workspaceId, filter)
  const { where, params, p } = queueWhere(workspaceId, f)
  const order = ORDER[page.sort]
  const conds = [where]
  if (page.cursor) {
    const vals = decodeCursor(page.cursor, order)
    if (order.every((col) => col.dir === order[0]!.dir))
      // one direction: a row comparison, which the sort's index takes as the start of its range
      conds.push(
        `(${order.map((col) => col.col).join(', ')}) ${order[0]!.dir === 'asc' ? '>' : '<'} (${vals.map((v) => p(v)).join(', ')})`,
      )
    else {
      // key-set condition over mixed directions: (a, b, c) after (va, vb, vc)
      const ors: string[] = []
      for (let k = 0; k < order.length; k++) {
        const eqs = order.slice(0, k).map((col, j) => `${col.col} = ${p(vals[j])}`)
        eqs.push(`${order[k]!.col} ${order[k]!.dir === 'asc' ? '>' : '<'} ${p(vals[k])}`)
        ors.push(`(${eqs.join(' AND ')})`)
      }
      conds.push(`(${ors.join(' OR ')})`)
    }
  }
  const orderBy = order.map((col) => `${col.col} ${col.dir}`).join(', ')
  const exactLimit = o.exactLimit ?? EXACT_COUNT_LIMIT
  let rows: IssueRow[] | null = null
  let exactTotal: number | null = null
  let planned: number | undefined
  if (o.total !== false && !page.cursor) {
    // the first page of a small answer: its matches are read once, for the count and for the page (a free-text
    // search would otherwise run twice, once for the page and once for its count)
    const est = await planRows(db, `SELECT 1 FROM issues i WHERE ${where}`, params)
    planned = est
    if (est <= exactLimit) {
      const keys = order.map((col, k) => `${col.col} AS k${k}`).join(', ')
      const mOrder = order.map((col, k) => `m.k${k} ${col.dir}`).join(', ')
      const r = await db.query<IssueRow & { full_count: number }>(
        `WITH m AS MATERIALIZED (SELECT i.id, ${keys} FROM issues i WHERE ${where} LIMIT ${exactLimit + 1})
         SELECT ${ISSUE_COLUMNS}, (SELECT count(*) FROM m)::int AS full_count FROM issues i
          WHERE i.id IN (SELECT m.id FROM m ORDER BY ${mOrder} LIMIT ${page.limit + 1})
          ORDER BY ${orderBy}`,
        params,
      )
      const n = r.rows[0]?.full_count ?? 0
      // more than the limit after all (the estimate was low): the page read from a truncated match is not the top
      if (n <= exactLimit) {
        rows = r.rows.map(({ full_count: _, ...row }) => row as IssueRow)
        exactTotal = n
      }
    }
  }
  rows ??= (
    await db.query<IssueRow>(
      `SELECT ${ISSUE_COLUMNS} FROM issues i WHERE ${conds.join(' AND ')} ORDER BY ${orderBy} LIMIT ${page.limit + 1}`,
      params,
    )
  ).rows
  const more = rows.length > page.limit
  const items = rows.slice(0, page.limit)
  const last = items.at(-1)
  const cursorValue = (row: IssueRow, col: string) => {
    const v = (row as unknown as Record<string, unknown>)[fieldOf(col)]
    return v instanceof Date ? v.toISOString() : v
  }
  let total = -1
  let totalIsEstimate = false
  if (o.total !== false) {
    if (exactTotal !== null) total = exactTotal
    else if (!page.cursor && !more) total = items.length
    else {
      const c = await countIssues(db, workspaceId, f, { atLeast: page.cursor ? 0 : rows.length, exactLimit, planned })
      total = c.total
      totalIsEstimate = c.estimate
    }
  }
  return {
    rows: items,
    nextCursor: more && last ? encodeCursor(order.map((col) => cursorValue(last, col.col))) : null,
    total,
    totalIsEstimate,
  }
}

type LevelCount = { kind: 'severity' | 'priority'; level: string; n: number }
const GROUPED = (where: string, from: string) =>
  `SELECT CASE WHEN GROUPING(i.severity) = 0 THEN 'severity' ELSE 'priority' END AS kind,
          CASE WHEN GROUPING(i.severity) = 0 THEN i.severity ELSE i.priority END AS level, count(*)::int AS n
     FROM ${from} WHERE ${where} GROUP BY GROUPING SETS ((i.severity), (i.priority))`

/** issues read by the sample of an estimated summary (about) */
const SAMPLE_ROWS = 10_000

/**
 * Counts per severity and per priority for a filter, and their total: exact when the match is small (as
 * countIssues judges it); otherwise the total is the planner's estimate (the same the queue's page shows) and it is
 * shared among the levels as in a repeatable block sample of the table (about SAMPLE_ROWS issues read), flagged.
 */
export const summarizeIssues = async (
  db: Queryable,
  workspaceId: string,
  filter: QueueFilter,
  o: { exactLimit?: number } = {},
): Promise<{ rows: LevelCount[]; total: number; estimate: boolean }> => {
  const f = await withSearchTerms(db, workspaceId, filter)
  const { where, params } = queueWhere(workspaceId, f)
  const count = await countIssues(db, workspaceId, f, o)
  if (!count.estimate) {
    const { rows } = await db.query<LevelCount>(GROUPED(where, 'issues i'), params)
    return { rows, total: count.total, estimate: false }
  }
  const tableRows = (
    await db.query<{ n: number }>(`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'issues'::regclass`)
  ).rows[0]!.n
  let pct = Math.min(100, (100 * SAMPLE_ROWS) / Math.max(tableRows, count.total, 1))
  for (;;) {
    const { rows } = await db.query<LevelCount>(
      GROUPED(where, `issues i TABLESAMPLE SYSTEM (${pct.toFixed(4)}) REPEATABLE (0)`),
      params,
    )
    const seen = rows.filter((r) => r.kind === 'severity').reduce((a, r) => a + r.n, 0)
    // too few matches in the sample to share by: a ten times larger one, up to the whole table
    if (seen < 100 && pct < 100) {
      pct = Math.min(100, pct * 10)
      continue
    }
    if (pct === 100) return { rows, total: seen, estimate: false }
    const share = (kind: LevelCount['kind']) => {
      // largest remainders, so the levels add up to the total
      const of = rows.filter((r) => r.kind === kind)
      const exact = of.map((r) => (r.n * count.total) / seen)
      const out = of.map((r, k) => ({ ...r, n: Math.floor(exact[k]!) }))
      let left = count.total - out.reduce((a, r) => a + r.n, 0)
      for (const k of exact.map((x, k) => [x - Math.floor(x), k] as const).sort((a, b) => b[0] - a[0]))
        if (left-- > 0) out[k[1]]!.n++
      return out
    }
    return { rows: [...share('severity'), ...share('priority')], total: count.total, estimate: true }
  }
}

/** One issue with its explanation and factors (the EPSS value they quote is the one read with it), or null. */
export const getIssue = async (db: Queryable, workspaceId: string, id: string): Promise<IssueDetailRow | null> => {
  const row = (
    await db.query<IssueDetailRow>(
      `SELECT ${ISSUE_COLUMNS}, i.factors, i.explanation FROM issues i WHERE i.workspace_id = $1 AND i.id = $2`,
      [workspaceId, id],
    )
  ).rows[0]
  if (!row) return null
  return {
    ...row,
    factors: renderFactors(row.factors as SeverityFactor[], row.epss),
    explanation: renderEpssMarks(row.explanation, row.epss),
  }
}

export interface OccurrenceRow {
  id: number
  connection_id: string
  connection_name: string
  kind: string
  source_key: string
  severity: string
  vendor_severity: string
  cvss: unknown
  detected_at: Date
  detected_at_source: 'vendor' | 'first_seen'
  first_seen_at: Date
  last_seen_at: Date
  absent_since: Date | null
  state: 'present' | 'absent' | 'excluded'
  evidence: unknown
  fixed_versions: string[]
  link: string | null
  package_purl: string
  package_version: string | null
  signals: Record<string, unknown>
  vendor_factors: { name: string; text: string; effect?: string }[]
  vendor_state: string
  title: string | null
  match_display: string
  raw: unknown
}

/** Every source's occurrence of an issue, with the vendor's raw record. */
export const listIssueOccurrences = async (db: Queryable, issueId: number): Promise<OccurrenceRow[]> =>
  (
    await db.query<OccurrenceRow>(
      `SELECT o.id, o.connection_id, c.name AS connection_name, c.kind, o.source_key, o.severity, o.vendor_severity, o.cvss,
              o.detected_at, o.detected_at_source, o.first_seen_at, o.last_seen_at, o.absent_since, o.state, o.evidence,
              o.fixed_versions, o.link, o.package_purl, o.package_version, o.signals, o.vendor_factors, o.vendor_state,
              o.title, o.match_display, s.raw
         FROM occurrences o JOIN connections c ON c.id = o.connection_id
         LEFT JOIN source_records s ON s.connection_id = o.connection_id AND s.source_key = o.source_key
        WHERE o.issue_id = $1 ORDER BY c.kind, o.id`,
      [issueId],
    )
  ).rows

/** The ids of every issue a filter matches (a bulk action over "all N matching"), in id order. */
export const listIssueIds = async (db: Queryable, workspaceId: string, filter: QueueFilter): Promise<string[]> => {
  const { where, params } = queueWhere(workspaceId, await withSearchTerms(db, workspaceId, filter))
  const { rows } = await db.query<{ id: number }>(`SELECT i.id FROM issues i WHERE ${where} ORDER BY i.id`, params)
  return rows.map((r) => String(r.id))
}

/**
 * ANALYZE the queue's tables when they have grown or shrunk by a tenth (and 500 rows) since their statistics were
 * gathered, or never had any: what autovacuum does on PostgreSQL, for PGlite, which has none (and keeps no counts
 * of changed rows either, so the size is what is compared: the planner's current estimate, which scales the
 * analysed density by the table's pages now, against the row count of the last ANALYZE). The queue's plans choose
 * between walking the sort index and an index of a filter by these statistics (ADR 0013). And what each connection
 * covers (`issue_coverage`, rebuilt at the end of every sync), which nothing else analyses on PGlite: with the
 * statistics of the empty table the migrations leave, scanner overlap took about half as long again at 100,000
 * issues (`bench:insights`, 19–32 ms against 27–47 ms). Returns what it analysed.
 */
export const refreshQueueStatistics = (db: Queryable): Promise<string[]> =>
  refreshStatistics(db, ['issues', 'issue_sources', 'issue_coverage'])

/**
 * The same for the tables a sync writes, after each batch, on both drivers (PostgreSQL's autovacuum comes a minute or
 * more after a table grew from empty): without statistics, such a table is planned as nearly empty, and each batch's
 * lookup by (connection, source key, CVE) read every occurrence of the connection (a bitmap scan into a hash join)
 * and the ownership refresh scanned every issue: quadratic in the size of the import (ADR 0014). The batches' lookups
 * are by key and need the row counts, not fine distributions: these ANALYZEs sample a tenth of the rows a full one
 * reads (statistics target 10: 3,000 rows, about a tenth of the time), and the run ends with a full ANALYZE of the
 * tables analysed so (`refreshFullStatistics`), which the queue's plans need.
 */
export const refreshIngestStatistics = (db: Db): Promise<string[]> =>
  // by half, not a tenth: an estimate within a factor of two keeps the plans
  refreshStatistics(db, INGEST_TABLES, 0.5, (table) =>
    db.transaction(async (tx) => {
      await tx.exec('SET LOCAL default_statistics_target = 10')
      await tx.exec(`ANALYZE ${table}`)
    }),
  )

const INGEST_TABLES = ['occurrences', 'issues', 'issue_sources', 'source_records', 'owner_contexts']

/** A full ANALYZE of these tables (those a run analysed coarsely while it wrote them). */
export const refreshFullStatistics = async (db: Queryable, tables: Iterable<string>): Promise<void> => {
  for (const table of tables) {
    if (!INGEST_TABLES.includes(table)) throw new Error(`refreshFullStatistics: ${table} is not an ingest table`)
    await db.exec(`ANALYZE ${table}`)
  }
}

/**
 * ANALYZEs each table whose row count moved by more than `by` of the count at its last ANALYZE (and 500 rows), or
 * that was never analysed. The count now is the planner's estimate: the analysed density scaled by the table's pages
 * now, read for every table in one statement.
 */
const refreshStatistics = async (
  db: Queryable,
  tables: string[],
  by = 0.1,
  analyse = (table: string): Promise<unknown> => db.exec(`ANALYZE ${table}`),
): Promise<string[]> => {
  const { rows } = await db.query<{ table: string; analysed: number; pages: number; now_pages: number }>(
    `SELECT t.name AS table, c.reltuples::float8 AS analysed, c.relpages::float8 AS pages,
            (pg_relation_size(c.oid) / current_setting('block_size')::int)::float8 AS now_pages
       FROM unnest($1::text[]) WITH ORDINALITY AS t(name, n) JOIN pg_class c ON c.oid = t.name::regclass
      ORDER BY t.n`,
    [tables],
  )
  const done: string[] = []
  for (const r of rows) {
    // analysed empty: the planner guesses from the pages now and the row width, so ask it
    const now = async () =>
      r.pages > 0 ? (r.analysed / r.pages) * r.now_pages : await planRows(db, `SELECT 1 FROM ${r.table}`, [])
    if (r.analysed < 0 || Math.abs((await now()) - r.analysed) > 500 + by * r.analysed) {
      await analyse(r.table)
      done.push(r.table)
    }
  }
  return done
}
