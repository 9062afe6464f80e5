import {
  type FindingSignals,
  type Severity,
  type SourceView,
  type VendorFactor,
  prioritise,
  severityRank,
} from '@vulnsync/core'
import type { Db, Queryable } from './driver.ts'

/**
 * The set-based SQL of the ingest engine. Every function works on a whole batch in a constant number of
 * statements: no round trip per record. Nothing here knows a vendor.
 */

/** An occurrence row as the engine prepares it from a mapped finding. */
export interface OccurrenceInput {
  source_key: string
  cve: string
  aliases: string[]
  package_purl: string
  package_key: string
  package_name: string
  ecosystem: string
  package_version: string | null
  target: unknown
  target_kind: string
  target_name: string
  match_key: string
  match_display: string
  ext_provider: string | null
  ext_id: string | null
  url_key: string | null
  name_key: string | null
  scope: string
  severity: Severity
  vendor_severity: string
  cvss: unknown
  detected_at: string | null
  fixed_versions: string[]
  signals: FindingSignals
  vendor_factors: VendorFactor[]
  evidence: unknown
  vendor_state: string
  title: string | null
  link: string | null
  raw: unknown
  content_hash: string
}

export interface BatchOutcome {
  created: number
  updated: number
  unchanged: number
  reopened: number
  unmatched: number
  issuesCreated: number
}

interface Existing {
  id: number
  source_key: string
  cve: string
  content_hash: string
  state: string
  repository_id: number | null
  issue_id: number | null
}

/** The matching order, as one SQL expression over a row `x` with ext_provider, ext_id, url_key, name_key, match_key. */
const matchExpr = (ws: string) => `COALESCE(
  (SELECT r.id FROM repositories r WHERE r.workspace_id = ${ws} AND r.removed_at IS NULL
     AND x.ext_id IS NOT NULL AND r.provider = x.ext_provider AND r.external_id = x.ext_id ORDER BY r.id LIMIT 1),
  (SELECT r.id FROM repositories r WHERE r.workspace_id = ${ws} AND r.removed_at IS NULL
     AND x.url_key IS NOT NULL AND r.url_key = x.url_key ORDER BY r.id LIMIT 1),
  (SELECT r.id FROM repositories r WHERE r.workspace_id = ${ws} AND r.removed_at IS NULL
     AND x.name_key IS NOT NULL AND lower(r.full_name) = x.name_key
     AND (x.url_key IS NULL OR split_part(x.url_key, '/', 1) = split_part(r.url_key, '/', 1)) ORDER BY r.id LIMIT 1),
  (SELECT m.repository_id FROM repo_mappings m WHERE m.workspace_id = ${ws} AND m.match_key = x.match_key))`

const TARGET_KEY = `CASE WHEN o.target_kind = 'repository' THEN 'repo:' || o.repository_id
  ELSE o.target_kind || ':' || lower(o.target_name) END`

const json = (v: unknown) => JSON.stringify(v)

/** Writes one batch of occurrences seen by `runId` and attaches the matched ones to issues. */
export const writeOccurrenceBatch = async (
  db: Db,
  args: { workspaceId: string; connectionId: string; runId: string; now: Date; rows: OccurrenceInput[] },
): Promise<BatchOutcome> => {
  const { workspaceId, connectionId, runId, now } = args
  // last one wins when a batch carries the same key twice
  const byKey = new Map<string, OccurrenceInput>()
  for (const r of args.rows) byKey.set(`${r.source_key}\u0000${r.cve}`, r)
  const rows = [...byKey.values()]
  const out: BatchOutcome = { created: 0, updated: 0, unchanged: 0, reopened: 0, unmatched: 0, issuesCreated: 0 }
  if (rows.length === 0) return out

  return db.transaction(async (tx) => {
    const keys = rows.map((r) => ({ k: r.source_key, c: r.cve }))
    const { rows: existing } = await tx.query<Existing>(
      `SELECT o.id, o.source_key, o.cve, o.content_hash, o.state, o.repository_id, o.issue_id
         FROM jsonb_to_recordset($2::jsonb) AS x(k text, c text)
         JOIN occurrences o ON o.connection_id = $1 AND o.source_key = x.k AND o.cve = x.c`,
      [connectionId, json(keys)],
    )
    const prev = new Map(existing.map((e) => [`${e.source_key}\u0000${e.cve}`, e]))
    const unchangedIds: number[] = []
    const write: OccurrenceInput[] = []
    for (const r of rows) {
      const e = prev.get(`${r.source_key}\u0000${r.cve}`)
      if (e && e.content_hash === r.content_hash && e.state === 'present') {
        unchangedIds.push(e.id)
        if (e.repository_id === null) out.unmatched++
        continue
      }
      if (!e) out.created++
      else if (e.state === 'absent') out.reopened++
      else out.updated++
      write.push(r)
    }
    out.unchanged = unchangedIds.length

    if (unchangedIds.length > 0)
      await tx.query(`UPDATE occurrences SET last_seen_at = $2, last_seen_run_id = $3 WHERE id = ANY($1::bigint[])`, [
        unchangedIds,
        now,
        runId,
      ])
    if (write.length === 0) return out

    const { rows: written } = await tx.query<{ id: number; repository_id: number | null }>(
      `INSERT INTO occurrences AS o (workspace_id, connection_id, source_key, cve, aliases, package_purl, package_key,
          package_name, ecosystem, package_version, target, target_kind, target_name, match_key, match_display,
          ext_key, url_key, name_key, repository_id, scope, severity, vendor_severity, cvss, detected_at,
          detected_at_source, fixed_versions, signals, vendor_factors, evidence, vendor_state, title, link, raw,
          content_hash, state, first_seen_at, last_seen_at, last_seen_run_id, absent_since)
       SELECT $1, $2, x.source_key, x.cve, x.aliases, x.package_purl, x.package_key, x.package_name, x.ecosystem,
          x.package_version, x.target, x.target_kind, x.target_name, x.match_key, x.match_display,
          CASE WHEN x.ext_id IS NULL THEN NULL ELSE x.ext_provider || ':' || x.ext_id END, x.url_key, x.name_key,
          ${matchExpr('$1')}, x.scope, x.severity, x.vendor_severity, x.cvss, COALESCE(x.detected_at, $3),
          CASE WHEN x.detected_at IS NULL THEN 'first_seen' ELSE 'vendor' END, x.fixed_versions, x.signals,
          x.vendor_factors, x.evidence, x.vendor_state, x.title, x.link, x.raw, x.content_hash, 'present', $3, $3, $4, NULL
         FROM jsonb_to_recordset($5::jsonb) AS x(source_key text, cve text, aliases jsonb, package_purl text,
          package_key text, package_name text, ecosystem text, package_version text, target jsonb, target_kind text,
          target_name text, match_key text, match_display text, ext_provider text, ext_id text, url_key text,
          name_key text, scope text, severity text, vendor_severity text, cvss jsonb, detected_at timestamptz,
          fixed_versions jsonb, signals jsonb, vendor_factors jsonb, evidence jsonb, vendor_state text, title text,
          link text, raw jsonb, content_hash text)
       ON CONFLICT (connection_id, source_key, cve) DO UPDATE SET
          aliases = excluded.aliases, package_purl = excluded.package_purl, package_key = excluded.package_key,
          package_name = excluded.package_name, ecosystem = excluded.ecosystem,
          package_version = excluded.package_version, target = excluded.target, target_kind = excluded.target_kind,
          target_name = excluded.target_name, match_key = excluded.match_key, match_display = excluded.match_display,
          ext_key = excluded.ext_key, url_key = excluded.url_key, name_key = excluded.name_key,
          repository_id = excluded.repository_id, scope = excluded.scope, severity = excluded.severity,
          vendor_severity = excluded.vendor_severity, cvss = excluded.cvss,
          -- the earliest vendor detection time wins; an import time never replaces a vendor's
          detected_at = CASE
            WHEN excluded.detected_at_source = 'vendor' AND (o.detected_at_source = 'first_seen' OR excluded.detected_at < o.detected_at)
              THEN excluded.detected_at ELSE o.detected_at END,
          detected_at_source = CASE WHEN excluded.detected_at_source = 'vendor' THEN 'vendor' ELSE o.detected_at_source END,
          fixed_versions = excluded.fixed_versions, signals = excluded.signals,
          vendor_factors = excluded.vendor_factors, evidence = excluded.evidence, vendor_state = excluded.vendor_state,
          title = excluded.title, link = excluded.link, raw = excluded.raw, content_hash = excluded.content_hash,
          state = 'present', last_seen_at = excluded.last_seen_at, last_seen_run_id = excluded.last_seen_run_id,
          absent_since = NULL
       RETURNING o.id, o.repository_id`,
      [workspaceId, connectionId, now, runId, json(write)],
    )
    const ids = written.map((w) => w.id)
    out.unmatched += written.filter((w) => w.repository_id === null).length
    const oldIssues = existing.filter((e) => e.issue_id !== null).map((e) => e.issue_id!)
    out.issuesCreated = await attachIssues(tx, workspaceId, ids, oldIssues, now)
    return out
  })
}

/**
 * Puts occurrences into their issues: creates missing issues by key (workspace, target, package, CVE), points each
 * occurrence at its issue, and recomputes every issue touched (new ones and the ones occurrences left).
 * Returns how many issues were created.
 */
export const attachIssues = async (
  tx: Queryable,
  workspaceId: string,
  occurrenceIds: number[],
  alsoRecompute: number[],
  now: Date,
): Promise<number> => {
  if (occurrenceIds.length === 0 && alsoRecompute.length === 0) return 0
  let created = 0
  const touched = new Set<number>(alsoRecompute)
  if (occurrenceIds.length > 0) {
    const { rows: ins } = await tx.query<{ id: number; inserted: boolean }>(
      `INSERT INTO issues AS i (workspace_id, target_key, package_key, cve, repository_id, target_kind, target_name,
          target_url, package_name, ecosystem, severity, severity_rank, priority, priority_rank, status, detected_at,
          first_seen_at, last_seen_at)
       SELECT DISTINCT ON (tk, o.package_key, o.cve) $1::uuid, tk, o.package_key, o.cve, o.repository_id, o.target_kind,
          CASE WHEN o.target_kind = 'repository' THEN r.full_name ELSE o.target_name END,
          CASE WHEN o.target_kind = 'repository' THEN r.web_url ELSE NULL END,
          o.package_name, o.ecosystem, o.severity, 0, o.severity, 0, 'open', o.detected_at, o.first_seen_at, o.last_seen_at
         FROM (SELECT o.*, ${TARGET_KEY} AS tk FROM occurrences o WHERE o.id = ANY($2::bigint[]) AND o.repository_id IS NOT NULL) o
         JOIN repositories r ON r.id = o.repository_id
        ORDER BY tk, o.package_key, o.cve, o.id
       ON CONFLICT (workspace_id, target_key, package_key, cve) DO UPDATE SET updated_at = $3
       RETURNING i.id, (i.xmax = 0) AS inserted`,
      [workspaceId, occurrenceIds, now],
    )
    created = ins.filter((r) => r.inserted).length
    const { rows: moved } = await tx.query<{ issue_id: number | null }>(
      `UPDATE occurrences o SET issue_id = i.id
         FROM issues i
        WHERE o.id = ANY($2::bigint[]) AND o.repository_id IS NOT NULL AND i.workspace_id = $1
          AND i.target_key = ${TARGET_KEY} AND i.package_key = o.package_key AND i.cve = o.cve
        RETURNING o.issue_id`,
      [workspaceId, occurrenceIds],
    )
    for (const m of moved) if (m.issue_id !== null) touched.add(m.issue_id)
    // occurrences that no longer match a repository leave their issue
    await tx.query(
      `UPDATE occurrences SET issue_id = NULL WHERE id = ANY($1::bigint[]) AND repository_id IS NULL AND issue_id IS NOT NULL`,
      [occurrenceIds],
    )
  }
  await recomputeIssues(tx, [...touched], now)
  return created
}

interface SourceRow {
  issue_id: number
  connection_id: string
  kind: string
  connection_name: string
  severity: Severity
  signals: FindingSignals
  vendor_factors: VendorFactor[]
  vendor_state: 'open' | 'dismissed' | 'excepted'
  state: 'present' | 'absent'
  detected_at: Date
  first_seen_at: Date
  last_seen_at: Date
  absent_since: Date | null
  package_version: string | null
  fixed_versions: string[]
  aliases: string[]
  archived: boolean | null
}

/** Recomputes issues from their occurrences: severity, priority and factors, status, dates, sources. */
export const recomputeIssues = async (
  tx: Queryable,
  issueIds: number[],
  now: Date,
): Promise<{ fixed: number; reopened: number }> => {
  const result = { fixed: 0, reopened: 0 }
  if (issueIds.length === 0) return result
  const { rows } = await tx.query<SourceRow>(
    `SELECT o.issue_id, o.connection_id, c.kind, c.name AS connection_name, o.severity, o.signals, o.vendor_factors,
            o.vendor_state, o.state, o.detected_at, o.first_seen_at, o.last_seen_at, o.absent_since,
            o.package_version, o.fixed_versions, o.aliases, r.archived
       FROM occurrences o
       JOIN connections c ON c.id = o.connection_id
       LEFT JOIN repositories r ON r.id = o.repository_id
      WHERE o.issue_id = ANY($1::bigint[])`,
    [issueIds],
  )
  const groups = new Map<number, SourceRow[]>()
  for (const r of rows) {
    const g = groups.get(r.issue_id)
    if (g) g.push(r)
    else groups.set(r.issue_id, [r])
  }
  const updates = []
  const sources: { issue_id: number; connection_id: string; kind: string; present: boolean }[] = []
  const empty: number[] = []
  for (const id of issueIds) {
    const g = groups.get(id)
    if (!g || g.length === 0) {
      empty.push(id)
      continue
    }
    const views: SourceView[] = g.map((r) => ({
      kind: r.kind,
      severity: r.severity,
      signals: r.signals,
      vendorFactors: r.vendor_factors,
      present: r.state === 'present',
      vendorState: r.vendor_state,
    }))
    const p = prioritise(views, { archived: g.some((r) => r.archived === true) })
    const present = g.filter((r) => r.state === 'present')
    const open = present.length > 0
    const ms = (d: Date | null) => (d ? new Date(d).getTime() : 0)
    const fixedAt = open ? null : new Date(Math.max(...g.map((r) => ms(r.absent_since) || ms(r.last_seen_at))))
    const versions = [
      ...new Set((open ? present : g).map((r) => r.package_version).filter((v): v is string => !!v)),
    ].sort()
    const fixedVersions = [...new Set(g.flatMap((r) => r.fixed_versions))].sort()
    const aliases = [...new Set(g.flatMap((r) => r.aliases))].sort()
    updates.push({
      id,
      severity: p.severity,
      severity_rank: severityRank(p.severity),
      priority: p.priority,
      priority_rank: severityRank(p.priority),
      factors: p.factors,
      explanation: p.explanation,
      status: open ? 'open' : 'fixed',
      detected_at: new Date(Math.min(...g.map((r) => ms(r.detected_at)))).toISOString(),
      first_seen_at: new Date(Math.min(...g.map((r) => ms(r.first_seen_at)))).toISOString(),
      last_seen_at: new Date(Math.max(...g.map((r) => ms(r.last_seen_at)))).toISOString(),
      fixed_at: fixedAt?.toISOString() ?? null,
      versions,
      fixed_versions: fixedVersions,
      aliases,
    })
    const perConn = new Map<string, { kind: string; present: boolean }>()
    for (const r of g) {
      const s = perConn.get(r.connection_id)
      perConn.set(r.connection_id, { kind: r.kind, present: (s?.present ?? false) || r.state === 'present' })
    }
    for (const [connection_id, s] of perConn)
      sources.push({ issue_id: id, connection_id, kind: s.kind, present: s.present })
  }
  if (updates.length > 0) {
    const { rows: changed } = await tx.query<{ was: string; now_status: string }>(
      `WITH u AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, severity text, severity_rank smallint, priority text,
           priority_rank smallint, factors jsonb, explanation text, status text, detected_at timestamptz,
           first_seen_at timestamptz, last_seen_at timestamptz, fixed_at timestamptz, versions jsonb,
           fixed_versions jsonb, aliases jsonb)),
       before AS (SELECT i.id, i.status FROM issues i JOIN u ON u.id = i.id)
       UPDATE issues i SET severity = u.severity, severity_rank = u.severity_rank, priority = u.priority,
         priority_rank = u.priority_rank, factors = u.factors, explanation = u.explanation, status = u.status,
         detected_at = u.detected_at, first_seen_at = u.first_seen_at, last_seen_at = u.last_seen_at,
         fixed_at = u.fixed_at, versions = u.versions, fixed_versions = u.fixed_versions, aliases = u.aliases,
         updated_at = $2
       FROM u, before b WHERE i.id = u.id AND b.id = u.id
       RETURNING b.status AS was, u.status AS now_status`,
      [json(updates), now],
    )
    for (const c of changed) {
      if (c.was === 'open' && c.now_status === 'fixed') result.fixed++
      if (c.was === 'fixed' && c.now_status === 'open') result.reopened++
    }
    await tx.query(`DELETE FROM issue_sources WHERE issue_id = ANY($1::bigint[])`, [issueIds])
    await tx.query(
      `INSERT INTO issue_sources (issue_id, connection_id, kind, present)
       SELECT x.issue_id, x.connection_id, x.kind, x.present
         FROM jsonb_to_recordset($1::jsonb) AS x(issue_id bigint, connection_id uuid, kind text, present boolean)`,
      [json(sources)],
    )
  }
  // an issue none of whose occurrences remain (they moved to another target) is removed with its sources
  if (empty.length > 0) await tx.query(`DELETE FROM issues WHERE id = ANY($1::bigint[])`, [empty])
  return result
}

export interface ResolutionPlan {
  open: number
  missing: number
}

const scopeFilter = `AND o.scope <> ALL($3::text[]) AND ($4::text[] IS NULL OR o.scope = ANY($4::text[]) OR o.scope = '')`

/** How many present occurrences a complete run would mark absent (for the collapse check). */
export const planResolution = async (
  db: Queryable,
  a: { connectionId: string; runId: string; incompleteScopes: string[]; selection: string[] | null },
): Promise<ResolutionPlan> => {
  const { rows } = await db.query<{ open: number; missing: number }>(
    `SELECT count(*)::int AS open, count(*) FILTER (WHERE o.last_seen_run_id <> $2)::int AS missing
       FROM occurrences o WHERE o.connection_id = $1 AND o.state = 'present' ${scopeFilter}`,
    [a.connectionId, a.runId, a.incompleteScopes, a.selection],
  )
  return rows[0] ?? { open: 0, missing: 0 }
}

/** Marks absent what a complete, successful run did not report, and recomputes the issues concerned. */
export const resolveMissing = async (
  db: Db,
  a: { connectionId: string; runId: string; incompleteScopes: string[]; selection: string[] | null; now: Date },
): Promise<{ resolved: number; issuesFixed: number }> =>
  db.transaction(async (tx) => {
    const { rows } = await tx.query<{ issue_id: number | null }>(
      `UPDATE occurrences o SET state = 'absent', absent_since = $5
        WHERE o.connection_id = $1 AND o.state = 'present' AND o.last_seen_run_id <> $2 ${scopeFilter}
        RETURNING o.issue_id`,
      [a.connectionId, a.runId, a.incompleteScopes, a.selection, a.now],
    )
    const issues = [...new Set(rows.map((r) => r.issue_id).filter((x): x is number => x !== null))]
    let issuesFixed = 0
    for (let i = 0; i < issues.length; i += 5000) {
      const r = await recomputeIssues(tx, issues.slice(i, i + 5000), a.now)
      issuesFixed += r.fixed
    }
    return { resolved: rows.length, issuesFixed }
  })

/**
 * Re-matches the workspace's unmatched occurrences (after an SCM sync or a manual mapping) and puts the ones that
 * now match into the queue, without reading any scanner again. Returns how many joined.
 */
export const rematchUnmatched = async (
  db: Db,
  workspaceId: string,
  now: Date,
  opts: { matchKey?: string } = {},
): Promise<number> => {
  let joined = 0
  let after = 0
  for (;;) {
    const step = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: number; rid: number | null }>(
        `SELECT x.id, ${matchExpr('$1')} AS rid
           FROM (SELECT o.id, o.match_key, o.url_key, o.name_key,
                        split_part(o.ext_key, ':', 1) AS ext_provider,
                        NULLIF(substr(o.ext_key, length(split_part(o.ext_key, ':', 1)) + 2), '') AS ext_id
                   FROM occurrences o
                  WHERE o.workspace_id = $1 AND o.repository_id IS NULL AND ($2::text IS NULL OR o.match_key = $2)
                    AND o.id > $3
                  ORDER BY o.id LIMIT 5000) x`,
        [workspaceId, opts.matchKey ?? null, after],
      )
      const hits = rows.filter((r) => r.rid !== null)
      if (hits.length > 0) {
        await tx.query(
          `UPDATE occurrences o SET repository_id = x.rid
             FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, rid bigint) WHERE o.id = x.id`,
          [json(hits)],
        )
        await attachIssues(
          tx,
          workspaceId,
          hits.map((r) => r.id),
          [],
          now,
        )
      }
      return { scanned: rows.length, last: rows.at(-1)?.id ?? after, joined: hits.length }
    })
    joined += step.joined
    after = step.last
    if (step.scanned < 5000) break
  }
  return joined
}
