import {
  aggregateIssue,
  createRepoMatcher,
  type DecisionKind,
  type FindingSignals,
  feedEpssBand,
  feedKeys,
  type IssueStatus,
  type KevValue,
  RawJson,
  type RepoMatcher,
  renderEpssMarks,
  type ScannerOwnership,
  type Severity,
  type SlaLevel,
  type SourceRow,
  type Stage,
  slaDueAt,
  syncIssue,
  syncPriorityCause,
  type VendorFactor,
} from '@vulnsync/core'
import { anyLiveDecisionFor, flagDecisionsForReview, reconcileDecisions } from './decision-store.ts'
import { type Db, type Queryable, transactionRetried } from './driver.ts'
import { lookupFeeds } from './feed-store.ts'
import {
  ctxKey,
  ensureOwnerContexts,
  lockOwnership,
  type OwnerContextInput,
  refreshIssueOwnership,
  scannerKey,
  upsertScannerApplications,
} from './ownership-store.ts'
import { evidenceOf, getPriorityPolicies, getPriorityPolicy } from './priority-store.ts'
import { addAliasSearchTerms } from './search-terms.ts'
import {
  ascendingIds,
  getSlaPolicies,
  getSlaPolicy,
  type IssueEventInput,
  insertIssueEvents,
  lockIssueRows,
  SYNC_ACTOR,
} from './workflow-store.ts'

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
  target_version: string | null
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
  manifest_path: string | null
  affected_ranges: unknown[] | null
  signals: FindingSignals
  vendor_factors: VendorFactor[]
  evidence: unknown
  vendor_state: string
  title: string | null
  link: string | null
  /** what the scanner says about owners */
  ownership?: unknown
  /**
   * the vendor's record (null or undefined: none), as its text (a `RawJson`, written as it is) or as a value (made
   * JSON text when an occurrence of it is written, once per record and batch); the occurrences of one record carry
   * the same
   */
  raw: unknown
  content_hash: string
  /**
   * the digest of what the record was mapped from (apps/server/src/sync/prepare.ts, recordDigest), the same on each of
   * its occurrences; null or undefined: the record is mapped again at every sync (it had findings that could not be used)
   */
  record_digest?: string | null
  /** how many occurrences the record gave (stored with the digest: a record is confirmed unchanged only by as many) */
  record_rows?: number
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

/** a value for a json or jsonb column (a staging table's, or a vendor record's `raw`): its JSON text, or NULL */
export const asJson = (v: unknown): string | null =>
  v === null || v === undefined ? null : v instanceof RawJson ? v.text : JSON.stringify(v)

/**
 * The temporary tables a batch's new issues and occurrences are copied into (COPY: nothing for the database to parse
 * but the values) before one set-based INSERT each reads them; one per session, emptied at every commit.
 */
const STAGING = {
  ingest_issues: `target_key text, package_key text, cve text, repository_id bigint, target_kind text,
    target_name text, package_name text, ecosystem text, aliases jsonb, versions jsonb, fixed_versions jsonb,
    severity text, severity_rank smallint, priority text, priority_rank smallint, factors json, explanation text,
    detected_at timestamptz, sla_due_at timestamptz, target_versions jsonb, kev jsonb, owner_context_id bigint,
    owner_team_id uuid, application_id uuid`,
  ingest_occurrences: `source_key text, cve text, aliases jsonb, package_purl text, package_key text,
    package_name text, ecosystem text, package_version text, target json, target_kind text, target_name text,
    target_version text, match_key text, match_display text, ext_provider text, ext_id text, url_key text,
    name_key text, repository_id bigint, issue_id bigint, scope text, severity text, vendor_severity text, cvss json,
    detected_at timestamptz, fixed_versions jsonb, signals jsonb, vendor_factors jsonb, evidence json,
    vendor_state text, title text, link text, content_hash text, manifest_path text, affected_ranges jsonb,
    ownership jsonb`,
  ingest_sources: 'source_key text, raw json, digest text, n smallint',
}

/**
 * Copies a row per item (`row` makes it, in the column order of STAGING[table]) into that staging table, creating it
 * in this session first. Each row is made as the COPY reads it and is garbage right after: rows made for a whole
 * batch first lived through the COPY, and the young generation's collections copied them into the old one
 * (ADR 0014, "records as text").
 */
const stageRows = async <T>(
  tx: Queryable,
  table: keyof typeof STAGING,
  items: Iterable<T>,
  row: (item: T, i: number) => unknown[],
) => {
  await tx.exec(
    `DO $$ BEGIN IF to_regclass('pg_temp.${table}') IS NULL THEN
       CREATE TEMPORARY TABLE ${table} (${STAGING[table]}) ON COMMIT DELETE ROWS; END IF; END $$`,
  )
  await tx.copyFrom(`COPY ${table} FROM STDIN`, rowsOf(items, row))
}

function* rowsOf<T>(items: Iterable<T>, row: (item: T, i: number) => unknown[]): Generator<unknown[]> {
  let i = 0
  for (const item of items) yield row(item, i++)
}

/** Loads the workspace's live repositories and manual mappings into the one matcher (packages/core). */
export const loadRepoMatcher = async (db: Queryable, workspaceId: string): Promise<RepoMatcher> => {
  const { rows: repos } = await db.query<{
    id: number
    provider: string
    external_id: string
    full_name: string
    url_key: string | null
  }>(
    `SELECT id, provider, external_id, full_name, url_key FROM repositories WHERE workspace_id = $1 AND removed_at IS NULL`,
    [workspaceId],
  )
  const { rows: maps } = await db.query<{ match_key: string; repository_id: number }>(
    `SELECT match_key, repository_id FROM repo_mappings WHERE workspace_id = $1`,
    [workspaceId],
  )
  return createRepoMatcher(
    repos.map((r) => ({
      id: r.id,
      provider: r.provider,
      externalId: r.external_id,
      fullName: r.full_name,
      urlKey: r.url_key,
    })),
    maps.map((m) => ({ matchKey: m.match_key, repositoryId: m.repository_id })),
  )
}

/** The repository a finding belongs to, by the matcher's keys (null: none known yet). */
const repositoryOf = (matcher: RepoMatcher, r: OccurrenceInput) =>
  matcher.match({
    externalKey: r.ext_id ? `${r.ext_provider}:${r.ext_id}` : null,
    urlKey: r.url_key,
    nameKey: r.name_key,
    matchKey: r.match_key,
  })

/** The issue target of a matched occurrence: the repository for SCA, the image or artifact name otherwise. */
export const issueTargetKey = (targetKind: string, targetName: string, repositoryId: number | null): string =>
  targetKind === 'repository' ? `repo:${repositoryId}` : `${targetKind}:${targetName.toLowerCase()}`

const TARGET_KEY_SQL = `CASE WHEN o.target_kind = 'repository' THEN 'repo:' || o.repository_id
  ELSE o.target_kind || ':' || lower(o.target_name) END`

type KeyedIssue = { target_key: string; package_key: string; cve: string }
const issueKey = (i: KeyedIssue) => `${i.target_key}\u0000${i.package_key}\u0000${i.cve}`

/** a batch's rows by source record: the last row read of each (a record read twice: its later version) */
const recordsOf = (rows: Iterable<OccurrenceInput>) => {
  const out = new Map<string, OccurrenceInput>()
  for (const r of rows) out.set(r.source_key, r)
  return out
}

/**
 * The digest a source record keeps (columns: k its key, d the digest it was read with, n how many occurrences it gave):
 * kept only while the record's present occurrences are exactly as many, so a record read again with that digest can
 * be marked seen without being mapped (markSeenRecords). Any other present occurrence of the key (one a former
 * version of the record gave, not yet resolved) or a missing one leaves it NULL: the record is mapped next time.
 */
const confirmedDigest = (k: string, d: string, n: string) => `SELECT CASE WHEN ${d} IS NOT NULL AND count(*) = ${n}
    THEN ${d} END AS digest FROM occurrences o WHERE o.connection_id = $1 AND o.source_key = ${k} AND o.state = 'present'`

/**
 * Writes one batch of occurrences seen by `runId`, in one transaction and a constant number of statements:
 * unchanged occurrences only get their last-seen mark; issues that do not exist yet are created with their final
 * aggregate computed from the batch; issues that existed are recomputed from all their occurrences.
 */
export const writeOccurrenceBatch = async (
  db: Db,
  args: {
    workspaceId: string
    connectionId: string
    connectionKind: string
    runId: string
    now: Date
    rows: OccurrenceInput[]
    matcher: RepoMatcher
    /**
     * other batches of this workspace may be written at the same time (PostgreSQL, two in flight): the unchanged
     * marks commit on their own, then the ownership contexts of the rest (precreateOwnerContexts), then the rest, so
     * no batch waits for a context another batch has not committed yet
     */
    concurrent?: boolean
  },
): Promise<BatchOutcome> => {
  const { workspaceId, connectionId, runId, now } = args
  // last one wins when a batch carries the same key twice
  const byKey = new Map<string, OccurrenceInput>()
  for (const r of args.rows) byKey.set(`${r.source_key}\u0000${r.cve}`, r)
  const rows = [...byKey.values()]
  const empty = (): BatchOutcome => ({
    created: 0,
    updated: 0,
    unchanged: 0,
    reopened: 0,
    unmatched: 0,
    issuesCreated: 0,
  })
  if (rows.length === 0) return empty()

  /** unchanged occurrences first, in one statement: only their last-seen mark changes; returns the others */
  const markUnchanged = async (tx: Queryable) => {
    const out = empty()
    // before any issue is touched: a recompute of ownership (exclusive) never waits on this batch's rows
    await lockOwnership(tx, workspaceId, 'shared')
    const { rows: seen } = await tx.query<{ source_key: string; cve: string; issue_id: number | null }>(
      `UPDATE occurrences o SET last_seen_at = $2, last_seen_run_id = $3
         FROM jsonb_to_recordset($4::jsonb) AS x(k text, c text, h text)
        WHERE o.connection_id = $1 AND o.source_key = x.k AND o.cve = x.c AND o.content_hash = x.h
          AND o.state = 'present'
        RETURNING o.source_key, o.cve, o.issue_id`,
      [connectionId, now, runId, JSON.stringify(rows.map((r) => ({ k: r.source_key, c: r.cve, h: r.content_hash })))],
    )
    out.unchanged = seen.length
    for (const e of seen) if (e.issue_id === null) out.unmatched++
    const unchanged = new Set(seen.map((e) => `${e.source_key}\u0000${e.cve}`))
    const rest = unchanged.size === 0 ? rows : rows.filter((r) => !unchanged.has(`${r.source_key}\u0000${r.cve}`))
    // records all of whose occurrences were unchanged are not written again; their digest is (the text may differ)
    if (unchanged.size > 0) {
      const written = new Set(rest.map((r) => r.source_key))
      const kept = [...recordsOf(rows).values()].filter((r) => !written.has(r.source_key))
      if (kept.length > 0)
        await tx.query(
          `UPDATE source_records s SET digest = v.digest, record_rows = x.n
             FROM jsonb_to_recordset($2::jsonb) AS x(k text, d text, n int)
             CROSS JOIN LATERAL (${confirmedDigest('x.k', 'x.d', 'x.n')}) v
            WHERE s.connection_id = $1 AND s.source_key = x.k AND s.digest IS DISTINCT FROM v.digest`,
          [
            connectionId,
            JSON.stringify(
              kept.map((r) => ({ k: r.source_key, d: r.record_digest ?? null, n: r.record_rows ?? null })),
            ),
          ],
        )
    }
    return { out, rest }
  }

  /** the new and changed occurrences, their issues (created or recomputed) and their ownership; counts into `out` */
  const writeChanged = async (tx: Queryable, rest: OccurrenceInput[], out: BatchOutcome) => {
    // every occurrence of the records written, those of CVEs the batch does not carry too (their digests need them)
    const { rows: existing } = await tx.query<Existing>(
      `SELECT o.id, o.source_key, o.cve, o.content_hash, o.state, o.repository_id, o.issue_id
         FROM occurrences o WHERE o.connection_id = $1 AND o.source_key = ANY($2::text[])`,
      [connectionId, [...new Set(rest.map((r) => r.source_key))]],
    )
    const prev = new Map(existing.map((e) => [`${e.source_key}\u0000${e.cve}`, e]))
    const write: {
      row: OccurrenceInput
      repositoryId: number | null
      issueKey: KeyedIssue | null
      prevIssue: number | null
    }[] = []
    for (const r of rest) {
      const e = prev.get(`${r.source_key}\u0000${r.cve}`)
      if (!e) out.created++
      else if (e.state !== 'present') out.reopened++
      else out.updated++
      const repositoryId = repositoryOf(args.matcher, r)
      // an image or artifact is an asset in its own right: its issue exists with or without a repository
      const waits = repositoryId === null && r.target_kind === 'repository'
      if (waits) out.unmatched++
      write.push({
        row: r,
        repositoryId,
        issueKey: waits
          ? null
          : {
              target_key: issueTargetKey(r.target_kind, r.target_name, repositoryId),
              package_key: r.package_key,
              cve: r.cve,
            },
        prevIssue: e?.issue_id ?? null,
      })
    }
    if (write.length === 0) return

    // issues: create the missing ones with their aggregate; recompute the ones that exist already
    const touched = new Set<number>(write.map((w) => w.prevIssue).filter((x): x is number => x !== null))
    const groups = new Map<string, typeof write>()
    for (const w of write) {
      if (!w.issueKey) continue
      const k = issueKey(w.issueKey)
      const g = groups.get(k)
      if (g) g.push(w)
      else groups.set(k, [w])
    }
    const issueIds = new Map<string, number>()
    if (groups.size > 0) {
      const policy = await getSlaPolicy(tx, workspaceId)
      const priorityPolicy = await getPriorityPolicy(tx, workspaceId)
      const feeds = await lookupFeeds(
        tx,
        write.flatMap((w) => feedKeys(w.row.cve, w.row.aliases)),
      )
      const groupList = [...groups.values()]
      const candidates = groupList.map((g) => {
        const { row, repositoryId, issueKey: key } = g[0]!
        const agg = aggregateIssue(
          g.map(({ row: w }) => ({
            kind: args.connectionKind,
            severity: w.severity,
            signals: w.signals,
            vendor_factors: w.vendor_factors,
            vendor_state: w.vendor_state as SourceRow['vendor_state'],
            state: 'present',
            detected_at: new Date(w.detected_at ?? now),
            first_seen_at: now,
            last_seen_at: now,
            absent_since: null,
            package_version: w.package_version,
            fixed_versions: w.fixed_versions,
            aliases: w.aliases,
            archived: null,
            target_version: w.target_version,
          })),
          {
            feeds: evidenceOf(
              feeds,
              row.cve,
              g.flatMap((w) => w.row.aliases),
            ),
            policy: priorityPolicy,
            stored: true,
          },
        )
        const due = slaDueAt(
          policy,
          policy.basis === 'severity' ? agg.severity : agg.priority,
          new Date(agg.detected_at),
        )
        return {
          ...agg,
          ...key!,
          sla_due_at: due?.toISOString() ?? null,
          repository_id: repositoryId,
          target_kind: row.target_kind,
          target_name: row.target_name,
          package_name: row.package_name,
          ecosystem: row.ecosystem,
        }
      })
      // an issue created here gets its ownership context in the same INSERT (an UPDATE after it would write every
      // index of the row again); refreshIssueOwnership below still decides the rest and rewrites it if it differs
      const contexts = await ownerContextsForNewIssues(tx, workspaceId, connectionId, groupList, candidates, {
        now,
        matcher: args.matcher,
      })
      await stageRows(tx, 'ingest_issues', candidates, (c, i) => [
        c.target_key,
        c.package_key,
        c.cve,
        c.repository_id,
        c.target_kind,
        c.target_name,
        c.package_name,
        c.ecosystem,
        asJson(c.aliases),
        asJson(c.versions),
        asJson(c.fixed_versions),
        c.severity,
        c.severity_rank,
        c.priority,
        c.priority_rank,
        asJson(c.factors),
        c.explanation,
        c.detected_at,
        c.sla_due_at,
        asJson(c.target_versions),
        asJson(c.kev),
        contexts[i]?.id ?? null,
        contexts[i]?.team_id ?? null,
        contexts[i]?.application_id ?? null,
      ])
      // the GIN indexes (issues_aliases, and the search terms' trigrams that the insert's trigger adds to: migration
      // 0015) take new entries in their pending list and merge it into the index when it is full, collecting its
      // entries in work_mem: with 4MB (the default) the merge runs in several rounds
      await tx.exec(`SET LOCAL work_mem = '64MB'`)
      const { rows: created } = await tx.query<KeyedIssue & { id: number }>(
        `INSERT INTO issues (workspace_id, target_key, package_key, cve, repository_id, target_kind, target_name, target_url,
            package_name, ecosystem, aliases, versions, fixed_versions, severity, severity_rank, priority, priority_rank,
            factors, explanation, status, detected_at, first_seen_at, last_seen_at, created_at, updated_at, sla_due_at,
            target_versions, kev, owner_context_id, owner_team_id, application_id)
         SELECT $1, x.target_key, x.package_key, x.cve, x.repository_id, x.target_kind,
            CASE WHEN x.target_kind = 'repository' THEN r.full_name ELSE x.target_name END,
            CASE WHEN x.target_kind = 'repository' THEN r.web_url ELSE NULL END,
            x.package_name, x.ecosystem, x.aliases, x.versions, x.fixed_versions, x.severity, x.severity_rank, x.priority,
            x.priority_rank, x.factors, x.explanation, 'open', x.detected_at, $2, $2, $2, $2, x.sla_due_at,
            x.target_versions, x.kev, x.owner_context_id, x.owner_team_id, x.application_id
           FROM ingest_issues x
           LEFT JOIN repositories r ON r.id = x.repository_id
          -- in key order: a concurrent batch inserting some of the same issues waits, never in a cycle (ADR 0015)
          ORDER BY x.target_key, x.package_key, x.cve
         ON CONFLICT (workspace_id, target_key, package_key, cve) DO NOTHING
         RETURNING id, target_key, package_key, cve`,
        [workspaceId, now],
      )
      out.issuesCreated = created.length
      for (const c of created) issueIds.set(issueKey(c), c.id)
      const others = candidates.filter((c) => !issueIds.has(issueKey(c)))
      if (others.length > 0) {
        const { rows: found } = await tx.query<KeyedIssue & { id: number }>(
          `SELECT i.id, i.target_key, i.package_key, i.cve FROM jsonb_to_recordset($2::jsonb) AS x(t text, p text, c text)
             JOIN issues i ON i.workspace_id = $1 AND i.target_key = x.t AND i.package_key = x.p AND i.cve = x.c`,
          [workspaceId, JSON.stringify(others.map((m) => ({ t: m.target_key, p: m.package_key, c: m.cve })))],
        )
        for (const f of found) {
          issueIds.set(issueKey(f), f.id)
          touched.add(f.id)
        }
      }
      if (created.length > 0) {
        await tx.query(
          `INSERT INTO issue_sources (issue_id, connection_id, kind, present) SELECT unnest($1::bigint[]), $2, $3, true`,
          [created.map((c) => c.id), connectionId, args.connectionKind],
        )
        // a decision wider than one issue covers issues imported after it
        if (await anyLiveDecisionFor(tx, workspaceId, [...new Set(created.map((c) => c.cve))]))
          await reconcileDecisions(
            tx,
            created.map((c) => c.id),
            SYNC_ACTOR,
            { now },
          )
      }
    }

    await stageRows(tx, 'ingest_occurrences', write, ({ row: r, repositoryId, issueKey: key }) => [
      r.source_key,
      r.cve,
      asJson(r.aliases),
      r.package_purl,
      r.package_key,
      r.package_name,
      r.ecosystem,
      r.package_version,
      asJson(r.target),
      r.target_kind,
      r.target_name,
      r.target_version,
      r.match_key,
      r.match_display,
      r.ext_provider,
      r.ext_id,
      r.url_key,
      r.name_key,
      repositoryId,
      key ? (issueIds.get(issueKey(key)) ?? null) : null,
      r.scope,
      r.severity,
      r.vendor_severity,
      asJson(r.cvss),
      r.detected_at,
      asJson(r.fixed_versions),
      asJson(r.signals),
      asJson(r.vendor_factors),
      asJson(r.evidence),
      r.vendor_state,
      r.title,
      r.link,
      r.content_hash,
      r.manifest_path,
      asJson(r.affected_ranges),
      asJson(r.ownership),
    ])
    await tx.query(
      `INSERT INTO occurrences AS o (workspace_id, connection_id, source_key, cve, aliases, package_purl, package_key,
          package_name, ecosystem, package_version, target, target_kind, target_name, target_version, match_key,
          match_display, ext_key, url_key, name_key, repository_id, issue_id, scope, severity, vendor_severity, cvss, detected_at,
          detected_at_source, fixed_versions, signals, vendor_factors, evidence, vendor_state, title, link,
          content_hash, state, first_seen_at, last_seen_at, last_seen_run_id, absent_since, manifest_path, affected_ranges,
          ownership)
       SELECT $1, $2, x.source_key, x.cve, x.aliases, x.package_purl, x.package_key, x.package_name, x.ecosystem,
          x.package_version, x.target, x.target_kind, x.target_name, x.target_version, x.match_key, x.match_display,
          CASE WHEN x.ext_id IS NULL THEN NULL ELSE x.ext_provider || ':' || x.ext_id END, x.url_key, x.name_key,
          x.repository_id, x.issue_id, x.scope, x.severity, x.vendor_severity, x.cvss, COALESCE(x.detected_at, $3),
          CASE WHEN x.detected_at IS NULL THEN 'first_seen' ELSE 'vendor' END, x.fixed_versions, x.signals,
          x.vendor_factors, x.evidence, x.vendor_state, x.title, x.link, x.content_hash, 'present', $3, $3, $4, NULL,
          x.manifest_path, x.affected_ranges, x.ownership
         FROM ingest_occurrences x
       ON CONFLICT (connection_id, source_key, cve) DO UPDATE SET
          aliases = excluded.aliases, package_purl = excluded.package_purl, package_key = excluded.package_key,
          package_name = excluded.package_name, ecosystem = excluded.ecosystem,
          package_version = excluded.package_version, target = excluded.target, target_kind = excluded.target_kind,
          target_name = excluded.target_name, target_version = excluded.target_version, match_key = excluded.match_key, match_display = excluded.match_display,
          ext_key = excluded.ext_key, url_key = excluded.url_key, name_key = excluded.name_key,
          repository_id = excluded.repository_id, issue_id = excluded.issue_id, scope = excluded.scope,
          severity = excluded.severity, vendor_severity = excluded.vendor_severity, cvss = excluded.cvss,
          -- the earliest vendor detection time wins; an import time never replaces a vendor's
          detected_at = CASE
            WHEN excluded.detected_at_source = 'vendor' AND (o.detected_at_source = 'first_seen' OR excluded.detected_at < o.detected_at)
              THEN excluded.detected_at ELSE o.detected_at END,
          detected_at_source = CASE WHEN excluded.detected_at_source = 'vendor' THEN 'vendor' ELSE o.detected_at_source END,
          fixed_versions = excluded.fixed_versions, signals = excluded.signals,
          vendor_factors = excluded.vendor_factors, evidence = excluded.evidence, vendor_state = excluded.vendor_state,
          title = excluded.title, link = excluded.link, content_hash = excluded.content_hash,
          state = 'present', last_seen_at = excluded.last_seen_at, last_seen_run_id = excluded.last_seen_run_id,
          absent_since = NULL, manifest_path = excluded.manifest_path, affected_ranges = excluded.affected_ranges,
          ownership = excluded.ownership`,
      [workspaceId, connectionId, now, runId],
    )
    // the raw record once per source record (a record with several CVEs is several occurrences), by COPY: a vendor's
    // records are kilobytes each, and json_to_recordset over a batch of them took six times as long. Its digest is
    // kept only if the record's present occurrences, once the batch is written, are as many as it gave (as
    // confirmedDigest says; here from what the batch read and writes: a statement per record cost an import 13 µs a
    // finding): those present before, and every occurrence of the key the batch carries
    const written = recordsOf(write.map((w) => w.row))
    const present = new Map<string, Set<string>>()
    const isPresent = (key: string, cve: string) => {
      const p = present.get(key)
      if (p) p.add(cve)
      else present.set(key, new Set([cve]))
    }
    for (const e of existing) if (e.state === 'present') isPresent(e.source_key, e.cve)
    for (const r of rows) if (written.has(r.source_key)) isPresent(r.source_key, r.cve)
    await stageRows(tx, 'ingest_sources', written.values(), (r) => [
      r.source_key,
      asJson(r.raw),
      r.record_digest && present.get(r.source_key)?.size === r.record_rows ? r.record_digest : null,
      r.record_rows ?? null,
    ])
    await tx.query(
      `INSERT INTO source_records (connection_id, source_key, raw, updated_at, digest, record_rows)
       SELECT $1, x.source_key, x.raw, $2, x.digest, x.n FROM ingest_sources x
       ON CONFLICT (connection_id, source_key) DO UPDATE SET raw = excluded.raw, updated_at = excluded.updated_at,
          digest = excluded.digest, record_rows = excluded.record_rows`,
      [connectionId, now],
    )
    if (touched.size > 0) await recomputeIssues(tx, [...touched], now, { runId })
    // ownership: the scanner's applications, then the owner of every new and changed issue
    const apps = await upsertScannerApplications(
      tx,
      workspaceId,
      connectionId,
      write.map((w) => w.row.ownership),
      now,
    )
    const createdIds = [...issueIds.values()].filter((id) => !touched.has(id))
    const own = await refreshIssueOwnership(tx, [...createdIds, ...touched], { now, newIssueIds: createdIds })
    const again = [...new Set([...own.reprioritise, ...apps.reprioritise])]
    if (again.length > 0) await recomputeIssues(tx, again, now, { runId })
  }

  // another connection's batch of the same workspace may lock the same issues and owner contexts in another order:
  // when PostgreSQL breaks such a deadlock by aborting this transaction, the batch is written again
  if (!args.concurrent)
    return transactionRetried(db, async (tx) => {
      const { out, rest } = await markUnchanged(tx)
      if (rest.length > 0) await writeChanged(tx, rest, out)
      return out
    })
  const { out, rest } = await transactionRetried(db, markUnchanged)
  if (rest.length === 0) return out
  await precreateOwnerContexts(db, { workspaceId, connectionId, rows: rest, matcher: args.matcher, now })
  return transactionRetried(db, async (tx) => {
    const counts = { ...out }
    await lockOwnership(tx, workspaceId, 'shared')
    await writeChanged(tx, rest, counts)
    return counts
  })
}

/** What markSeenRecords confirmed: per digest, the record's key, its occurrences marked and those without an issue. */
export type SeenRecords = Map<string, { sourceKey: string; rows: number; unmatched: number }>

/** Whether any record of the connection keeps a digest: a first sync has none to look up (markSeenRecords). */
export const knowsRecordDigests = async (db: Queryable, connectionId: string): Promise<boolean> => {
  const { rows } = await db.query<{ known: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM source_records WHERE connection_id = $1 AND digest IS NOT NULL) AS known`,
    [connectionId],
  )
  return rows[0]?.known === true
}

/**
 * Records read again as they were last stored, by their digests, in one statement: the present occurrences of each
 * record whose stored digest is one of `digests` are marked seen by `runId`. A record is confirmed (returned) only when
 * they are as many as it gave when its digest was stored; the others must be mapped and written as any record (their
 * marks are harmless: the record was read). See confirmedDigest for why a stored digest can be trusted.
 */
export const markSeenRecords = async (
  db: Db,
  a: { connectionId: string; runId: string; now: Date; digests: string[] },
): Promise<SeenRecords> => {
  const confirmed: SeenRecords = new Map()
  if (a.digests.length === 0) return confirmed
  // without the ownership lock markUnchanged takes: only the occurrences' marks change, which ownership never writes
  const marked = await transactionRetried(db, async (tx) => {
    const { rows } = await tx.query<{ digest: string; source_key: string; n: number; issue_id: number | null }>(
      `UPDATE occurrences o SET last_seen_at = $2, last_seen_run_id = $3
         FROM source_records s
        WHERE s.connection_id = $1 AND s.digest = ANY($4::text[])
          AND o.connection_id = $1 AND o.source_key = s.source_key AND o.state = 'present'
        RETURNING s.digest, s.source_key, s.record_rows AS n, o.issue_id`,
      [a.connectionId, a.now, a.runId, a.digests],
    )
    return rows
  })
  const byDigest = new Map<string, { sourceKey: string; n: number; rows: number; unmatched: number }>()
  for (const m of marked) {
    const d = byDigest.get(m.digest)
    if (d) {
      d.rows++
      if (m.issue_id === null) d.unmatched++
    } else byDigest.set(m.digest, { sourceKey: m.source_key, n: m.n, rows: 1, unmatched: m.issue_id === null ? 1 : 0 })
  }
  for (const [digest, d] of byDigest)
    if (d.rows === d.n) confirmed.set(digest, { sourceKey: d.sourceKey, rows: d.rows, unmatched: d.unmatched })
  return confirmed
}

/**
 * The ownership context of each issue a batch may create, as refreshIssueOwnership would find it once the issue and
 * its occurrences are written: the issue's target, the manifest path of its occurrences, the scanner's ownership they
 * carry. Left out (undefined: refreshIssueOwnership gives them theirs after) are issues whose occurrences name several
 * manifest paths (their order is the database's collation) or disagree on the scanner's ownership, and those whose
 * scanner names an application (the batch upserts it later). A context chosen here that refreshIssueOwnership would
 * not choose costs one UPDATE of the issue, never a wrong owner: it compares and rewrites.
 */
const ownerContextsForNewIssues = async (
  tx: Queryable,
  workspaceId: string,
  connectionId: string,
  groups: { row: OccurrenceInput }[][],
  candidates: { target_key: string; repository_id: number | null; target_kind: string; target_name: string }[],
  { now, matcher }: { now: Date; matcher: RepoMatcher },
) => {
  const targets = candidates.map((c, i) => {
    const g = groups[i]!
    if (g.some((w) => namesApplication(w.row.ownership))) return undefined
    const scanners = g.filter((w) => w.row.ownership != null).map((w) => scannerOfOne(connectionId, w.row.ownership))
    const keys = new Set(scanners.map(scannerKey))
    if (keys.size > 1) return undefined
    const paths = new Set(g.map((w) => w.row.manifest_path).filter((p): p is string => p !== null))
    if (paths.size > 1) return undefined
    const scanner = scanners[0] ?? null
    return { ...c, manifest_path: [...paths][0] ?? '', scanner_key: scannerKey(scanner), scanner }
  })
  const inputs = await contextInputs(tx, targets, matcher)
  const known = inputs.filter((x): x is OwnerContextInput => x !== undefined)
  if (known.length === 0) return inputs.map(() => undefined)
  const contexts = await ensureOwnerContexts(tx, workspaceId, known, now)
  const byKey = new Map(contexts.map((c) => [ctxKey(c), c]))
  return inputs.map((x) => (x ? byKey.get(ctxKey(x)) : undefined))
}

const namesApplication = (o: unknown) => !!(o as ScannerOwnership | null | undefined)?.application?.key

/** An issue's scanner ownership as refreshIssueOwnership reads it back (scannerKey hashes the database's JSON) when one connection's findings hold it. */
const scannerOfOne = (connectionId: string, ownership: unknown): OwnerContextInput['scanner'] =>
  ownership == null ? null : [{ connectionId, data: inJsonbKeyOrder(ownership) as ScannerOwnership }]

interface ContextTarget {
  target_key: string
  repository_id: number | null
  target_kind: string
  target_name: string
  manifest_path: string
  scanner_key: string
  scanner: OwnerContextInput['scanner']
}

/**
 * The owner-context inputs of these targets, named as ownership names them (a repository by its full name: the
 * run's matcher knows the names of the workspace's repositories; the database is asked only for others).
 */
const contextInputs = async (
  tx: Queryable,
  targets: (ContextTarget | undefined)[],
  matcher: RepoMatcher,
): Promise<(OwnerContextInput | undefined)[]> => {
  const repoName = new Map<number, string>()
  const unknown = new Set<number>()
  for (const c of targets) {
    if (c?.repository_id == null || repoName.has(c.repository_id)) continue
    const name = matcher.fullName(c.repository_id)
    if (name === undefined) unknown.add(c.repository_id)
    else repoName.set(c.repository_id, name)
  }
  if (unknown.size > 0) {
    const { rows } = await tx.query<{ id: number; full_name: string }>(
      `SELECT id, full_name FROM repositories WHERE id = ANY($1::bigint[])`,
      [[...unknown]],
    )
    for (const r of rows) repoName.set(r.id, r.full_name)
  }
  return targets.map((c) => {
    if (!c) return undefined
    const name = c.target_kind === 'repository' ? repoName.get(c.repository_id!) : c.target_name
    if (name === undefined) return undefined
    return {
      target_key: c.target_key,
      repository_id: c.repository_id,
      target_kind: c.target_kind,
      target_name: name,
      manifest_path: c.manifest_path,
      scanner_key: c.scanner_key,
      scanner: c.scanner,
    }
  })
}

/** A JSON value with its object keys in jsonb's order (shorter first, then bytewise), as the database returns it. */
const inJsonbKeyOrder = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(inJsonbKeyOrder)
  if (v === null || typeof v !== 'object') return v
  const keys = Object.keys(v).sort((a, b) => {
    const la = Buffer.byteLength(a)
    const lb = Buffer.byteLength(b)
    return la !== lb ? la - lb : Buffer.compare(Buffer.from(a), Buffer.from(b))
  })
  return Object.fromEntries(
    keys.map((k) => [k, inJsonbKeyOrder((v as Record<string, unknown>)[k])]).filter(([, x]) => x !== undefined),
  )
}

/**
 * Creates, in a short transaction of its own, the ownership contexts a batch's issues would get (each target and
 * manifest path of its findings, with the scanner's ownership when a finding carries it, unless it names an
 * application), before the batch's own transaction. With two batches of a sync written at once (PostgreSQL), a
 * context the other batch had inserted but not committed made this batch's insert of it wait until that whole batch
 * committed, which put the two back in series: in the end-to-end bench, 27 s of 80 s inside the batches'
 * transactions. Committed first, the batch finds them and waits for nobody. A context no issue ends up in (an issue
 * whose findings name several manifest paths, or that other connections' findings share) is harmless: ownership
 * keeps such rows until it prunes them, and the batch still creates whatever it lacks itself.
 */
export const precreateOwnerContexts = async (
  db: Db,
  args: { workspaceId: string; connectionId: string; rows: OccurrenceInput[]; matcher: RepoMatcher; now: Date },
): Promise<void> => {
  const targets = new Map<string, ContextTarget>()
  for (const r of args.rows) {
    const repositoryId = repositoryOf(args.matcher, r)
    // no issue until its repository is known; the batch upserts a scanner's applications itself, and a context
    // that names one is resolved after that, in the batch's own transaction
    if (repositoryId === null && r.target_kind === 'repository') continue
    if (namesApplication(r.ownership)) continue
    const target_key = issueTargetKey(r.target_kind, r.target_name, repositoryId)
    const manifest_path = r.manifest_path ?? ''
    const scanner = scannerOfOne(args.connectionId, r.ownership)
    const scanner_key = scannerKey(scanner)
    targets.set(ctxKey({ target_key, manifest_path, scanner_key }), {
      target_key,
      repository_id: repositoryId,
      target_kind: r.target_kind,
      target_name: r.target_name,
      manifest_path,
      scanner_key,
      scanner,
    })
  }
  if (targets.size === 0) return
  await transactionRetried(db, async (tx) => {
    await lockOwnership(tx, args.workspaceId, 'shared')
    const inputs = (await contextInputs(tx, [...targets.values()], args.matcher)).filter(
      (x): x is OwnerContextInput => !!x,
    )
    if (inputs.length > 0) await ensureOwnerContexts(tx, args.workspaceId, inputs, args.now)
  })
}

/**
 * Puts occurrences that just got a repository into their issues (the re-match path): creates missing issues by
 * key, points each occurrence at its issue, and recomputes every issue touched.
 */
export const attachIssues = async (
  tx: Queryable,
  workspaceId: string,
  occurrenceIds: number[],
  now: Date,
): Promise<number> => {
  if (occurrenceIds.length === 0) return 0
  await lockOwnership(tx, workspaceId, 'shared')
  const { rows: ins } = await tx.query<{ id: number; inserted: boolean }>(
    `INSERT INTO issues AS i (workspace_id, target_key, package_key, cve, repository_id, target_kind, target_name,
        target_url, package_name, ecosystem, severity, severity_rank, priority, priority_rank, status, detected_at,
        first_seen_at, last_seen_at)
     SELECT DISTINCT ON (tk, o.package_key, o.cve) $1::uuid, tk, o.package_key, o.cve, o.repository_id, o.target_kind,
        CASE WHEN o.target_kind = 'repository' THEN r.full_name ELSE o.target_name END,
        CASE WHEN o.target_kind = 'repository' THEN r.web_url ELSE NULL END,
        o.package_name, o.ecosystem, o.severity, 0, o.severity, 0, 'open', o.detected_at, o.first_seen_at, o.last_seen_at
       FROM (SELECT o.*, ${TARGET_KEY_SQL} AS tk FROM occurrences o WHERE o.id = ANY($2::bigint[]) AND o.repository_id IS NOT NULL) o
       JOIN repositories r ON r.id = o.repository_id
      ORDER BY tk, o.package_key, o.cve, o.id
     ON CONFLICT (workspace_id, target_key, package_key, cve) DO UPDATE SET updated_at = $3
     RETURNING i.id, (i.xmax = 0) AS inserted`,
    [workspaceId, occurrenceIds, now],
  )
  const { rows: moved } = await tx.query<{ issue_id: number }>(
    `UPDATE occurrences o SET issue_id = i.id
       FROM issues i
      WHERE o.id = ANY($2::bigint[]) AND o.repository_id IS NOT NULL AND i.workspace_id = $1
        AND i.target_key = ${TARGET_KEY_SQL} AND i.package_key = o.package_key AND i.cve = o.cve
      RETURNING o.issue_id`,
    [workspaceId, occurrenceIds],
  )
  const touched = [...new Set(moved.map((m) => m.issue_id))]
  await recomputeIssues(tx, touched, now)
  const created = ins.filter((r) => r.inserted).map((r) => r.id)
  const own = await refreshIssueOwnership(tx, touched, { now, newIssueIds: created })
  if (own.reprioritise.length > 0) await recomputeIssues(tx, own.reprioritise, now)
  // a decision wider than one issue covers issues that joined the queue after it
  if (created.length > 0) await reconcileDecisions(tx, created, SYNC_ACTOR, { now })
  return created.length
}

/** Who recomputes issues, for the timeline: a sync run (the default), or another cause. */
export interface RecomputeOrigin {
  runId?: string | null
}

interface IssueBefore {
  id: number
  workspace_id: string
  cve: string
  /** the issue's application, for the business-priority factor */
  app_name: string | null
  app_priority: number | null
  app_label: string | null
  status: IssueStatus
  stage: Stage
  priority: SlaLevel
  factor_codes: string[]
  kev: KevValue | null
  /** the code of the factor the feed's EPSS score gave (feedEpssBand) */
  epss_band: string | null
  sla_due_at: Date | null
  closed_at: Date | null
  versions: string[]
  decision_kind: DecisionKind | null
}

/**
 * Recomputes issues from their occurrences: severity, priority and factors, dates, sources, and through the workflow
 * (`syncIssue` in core: the one transition function) their status, stage, SLA due date and the timeline of what
 * changed; a decision whose evidence changed is flagged for review.
 */
export const recomputeIssues = async (
  tx: Queryable,
  issueIds: number[],
  now: Date,
  origin: RecomputeOrigin = {},
): Promise<{ fixed: number; reopened: number }> => {
  const result = { fixed: 0, reopened: 0 }
  if (issueIds.length === 0) return result
  // locked before anything is read: a batch of another connection that added an occurrence to one of these issues
  // has committed it by the time the occurrences are read below, or waits for this transaction to recompute after
  await lockIssueRows(tx, issueIds)
  const { rows } = await tx.query<
    SourceRow & { issue_id: number; connection_id: string; repository_id: number | null }
  >(
    `SELECT o.issue_id, o.connection_id, c.kind, o.severity, o.signals, o.vendor_factors, o.vendor_state, o.state,
            o.detected_at, o.first_seen_at, o.last_seen_at, o.absent_since, o.package_version, o.fixed_versions,
            o.aliases, r.archived, o.target_version, o.repository_id
       FROM occurrences o
       JOIN connections c ON c.id = o.connection_id
       LEFT JOIN repositories r ON r.id = o.repository_id
      WHERE o.issue_id = ANY($1::bigint[])`,
    [issueIds],
  )
  const { rows: beforeRows } = await tx.query<IssueBefore>(
    `SELECT i.id, i.workspace_id, i.cve, i.status, i.stage, i.priority, i.sla_due_at, i.closed_at, i.versions,
            d.kind AS decision_kind, i.kev,
            (SELECT coalesce(json_agg(f->>'code'), '[]'::json) FROM json_array_elements(i.factors) f) AS factor_codes,
            (SELECT f->>'code' FROM json_array_elements(i.factors) f
              WHERE f->>'code' LIKE 'epss%' AND json_array_length(f->'sources') = 0 LIMIT 1) AS epss_band,
            a.name AS app_name, a.business_priority AS app_priority, a.source_label AS app_label
       FROM issues i LEFT JOIN decisions d ON d.id = i.decision_id AND d.ended_at IS NULL
       LEFT JOIN applications a ON a.id = i.application_id
      WHERE i.id = ANY($1::bigint[])`,
    [issueIds],
  )
  const before = new Map(beforeRows.map((b) => [b.id, b]))
  const { rows: prevSources } = await tx.query<{ issue_id: number; connection_id: string; present: boolean }>(
    `SELECT issue_id, connection_id, present FROM issue_sources WHERE issue_id = ANY($1::bigint[])`,
    [issueIds],
  )
  const sourcesBefore = new Map<number, string[]>()
  const presentBefore = new Map<number, string[]>()
  for (const s of prevSources) {
    sourcesBefore.set(s.issue_id, [...(sourcesBefore.get(s.issue_id) ?? []), s.connection_id])
    if (s.present) presentBefore.set(s.issue_id, [...(presentBefore.get(s.issue_id) ?? []), s.connection_id])
  }
  const policies = await getSlaPolicies(
    tx,
    beforeRows.map((b) => b.workspace_id),
  )
  const priorityPolicies = await getPriorityPolicies(
    tx,
    beforeRows.map((b) => b.workspace_id),
  )
  const groups = new Map<number, typeof rows>()
  for (const r of rows) {
    const g = groups.get(r.issue_id)
    if (g) g.push(r)
    else groups.set(r.issue_id, [r])
  }
  const feeds = await lookupFeeds(
    tx,
    beforeRows.flatMap((b) =>
      feedKeys(
        b.cve,
        (groups.get(b.id) ?? []).flatMap((r) => r.aliases),
      ),
    ),
  )
  const updates = []
  const events: IssueEventInput[] = []
  const review: number[] = []
  const sources: { issue_id: number; connection_id: string; kind: string; present: boolean }[] = []
  const empty: number[] = []
  for (const id of issueIds) {
    const g = groups.get(id)
    const b = before.get(id)
    if (!g || g.length === 0 || !b) {
      empty.push(id)
      continue
    }
    const evidence = evidenceOf(
      feeds,
      b.cve,
      g.flatMap((r) => r.aliases),
    )
    const agg = aggregateIssue(g, {
      feeds: evidence,
      policy: priorityPolicies.get(b.workspace_id)!,
      business: b.app_name
        ? { application: b.app_name, businessPriority: b.app_priority, sourceLabel: b.app_label }
        : null,
      stored: true,
    })
    const perConn = new Map<string, { kind: string; present: boolean }>()
    for (const r of g) {
      const s = perConn.get(r.connection_id)
      perConn.set(r.connection_id, { kind: r.kind, present: (s?.present ?? false) || r.state === 'present' })
    }
    for (const [connection_id, s] of perConn)
      sources.push({ issue_id: id, connection_id, kind: s.kind, present: s.present })
    const w = syncIssue(
      {
        status: b.status,
        stage: b.stage,
        decision: b.decision_kind,
        priority: b.priority,
        slaDueAt: b.sla_due_at ? new Date(b.sla_due_at) : null,
        closedAt: b.closed_at ? new Date(b.closed_at) : null,
        sources: sourcesBefore.get(id) ?? [],
        versions: b.versions ?? [],
      },
      {
        evidence: agg.status,
        priority: agg.priority,
        severity: agg.severity,
        // the timeline keeps the sentence as it reads now, with the EPSS value that moved it
        explanation: renderEpssMarks(agg.explanation, evidence.epss),
        detectedAt: new Date(agg.detected_at),
        fixedAt: agg.fixed_at ? new Date(agg.fixed_at) : null,
        sources: [...perConn.keys()],
        versions: agg.versions,
        priorityCause:
          agg.priority === b.priority
            ? undefined
            : syncPriorityCause(
                {
                  present: presentBefore.get(id) ?? [],
                  factorCodes: b.factor_codes ?? [],
                  kev: b.kev,
                  epssBand: b.epss_band,
                },
                {
                  present: [...perConn].filter(([, s]) => s.present).map(([c]) => c),
                  factorCodes: agg.factors.map((f) => f.code),
                  kev: agg.kev,
                  epssBand: feedEpssBand(agg.factors),
                },
              ),
      },
      policies.get(b.workspace_id)!,
      now,
    )
    if (b.status !== 'fixed' && w.status === 'fixed') result.fixed++
    if (w.reopened) result.reopened++
    if (w.reviewNeeded) review.push(id)
    for (const d of w.timeline)
      events.push({
        issue_id: id,
        workspace_id: b.workspace_id,
        type: d.type,
        detail: { ...d, ...(origin.runId ? { runId: origin.runId } : {}) },
      })
    updates.push({
      id,
      ...agg,
      // an image's or artifact's source repository, once one of its occurrences matches one
      asset_repository_id: g.find((r) => r.repository_id !== null)?.repository_id ?? null,
      status: w.status,
      stage: w.stage,
      sla_due_at: w.slaDueAt?.toISOString() ?? null,
      closed_at: w.closedAt?.toISOString() ?? null,
      reopened: w.reopened ? 1 : 0,
      review: w.reviewNeeded !== null,
    })
  }
  if (updates.length > 0) {
    await tx.query(
      `WITH u AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, severity text, severity_rank smallint, priority text,
           priority_rank smallint, factors json, explanation text, status text, stage text, detected_at timestamptz,
           first_seen_at timestamptz, last_seen_at timestamptz, fixed_at timestamptz, versions jsonb,
           fixed_versions jsonb, aliases jsonb, sla_due_at timestamptz, closed_at timestamptz, reopened int,
           review boolean, target_versions jsonb, asset_repository_id bigint, kev jsonb))
       UPDATE issues i SET severity = u.severity, severity_rank = u.severity_rank, priority = u.priority,
         priority_rank = u.priority_rank, factors = u.factors, explanation = u.explanation, status = u.status,
         stage = u.stage, detected_at = u.detected_at, first_seen_at = u.first_seen_at, last_seen_at = u.last_seen_at,
         fixed_at = u.fixed_at, versions = u.versions, fixed_versions = u.fixed_versions, aliases = u.aliases,
         sla_due_at = u.sla_due_at, closed_at = u.closed_at, reopened_count = i.reopened_count + u.reopened,
         review_needed = i.review_needed OR u.review, target_versions = u.target_versions,
         repository_id = CASE WHEN i.target_kind = 'repository' THEN i.repository_id
                              ELSE COALESCE(u.asset_repository_id, i.repository_id) END,
         kev = u.kev, updated_at = $2
       FROM u WHERE i.id = u.id`,
      [JSON.stringify(updates), now],
    )
    // an alias the sources give now is a search term (a new issue's terms are added as it is inserted: migration 0015)
    await addAliasSearchTerms(
      tx,
      updates.filter((u) => u.aliases.length > 0).map((u) => u.id),
    )
    await tx.query(`DELETE FROM issue_sources WHERE issue_id = ANY($1::bigint[])`, [issueIds])
    await tx.query(
      `INSERT INTO issue_sources (issue_id, connection_id, kind, present)
       SELECT x.issue_id, x.connection_id, x.kind, x.present
         FROM jsonb_to_recordset($1::jsonb) AS x(issue_id bigint, connection_id uuid, kind text, present boolean)`,
      [JSON.stringify(sources)],
    )
    await insertIssueEvents(tx, events, SYNC_ACTOR, { at: now })
    await flagDecisionsForReview(tx, review, 'the evidence changed: a new source, or another installed version')
  }
  // an issue none of whose occurrences remain (they moved to another target) is removed with its sources
  if (empty.length > 0) {
    await tx.query(`DELETE FROM issue_sources WHERE issue_id = ANY($1::bigint[])`, [empty])
    await tx.query(`DELETE FROM issues WHERE id = ANY($1::bigint[])`, [empty])
  }
  return result
}

export interface ResolutionPlan {
  open: number
  missing: number
}

// resolvable: not in an incomplete scope; within the selection; and, for connectors that resolve by scope, in a
// scope the run declared complete
const scopeFilter = `AND o.scope <> ALL($3::text[]) AND ($4::text[] IS NULL OR o.scope = ANY($4::text[]) OR o.scope = '')
  AND ($5::text[] IS NULL OR o.scope = ANY($5::text[]))`

export interface ResolutionScope {
  connectionId: string
  runId: string
  incompleteScopes: string[]
  selection: string[] | null
  /** null: every scope; else only these (connectors with resolvesByScope) */
  completeScopes: string[] | null
}

/** How many present occurrences a complete run would mark absent (for the collapse check). */
export const planResolution = async (db: Queryable, a: ResolutionScope): Promise<ResolutionPlan> => {
  const { rows } = await db.query<{ open: number; missing: number }>(
    `SELECT count(*)::int AS open, count(*) FILTER (WHERE o.last_seen_run_id <> $2)::int AS missing
       FROM occurrences o WHERE o.connection_id = $1 AND o.state = 'present' ${scopeFilter}`,
    [a.connectionId, a.runId, a.incompleteScopes, a.selection, a.completeScopes],
  )
  return rows[0] ?? { open: 0, missing: 0 }
}

/** Recomputes the distinct issues of changed occurrences, in chunks so a large resolution stays bounded. */
const recomputeIssuesOf = async (
  tx: Queryable,
  rows: { issue_id: number | null }[],
  now: Date,
  origin: RecomputeOrigin = {},
) => {
  const issues = ascendingIds(rows.map((r) => r.issue_id).filter((x): x is number => x !== null))
  const total = { fixed: 0, reopened: 0 }
  for (let i = 0; i < issues.length; i += 5000) {
    const r = await recomputeIssues(tx, issues.slice(i, i + 5000), now, origin)
    total.fixed += r.fixed
    total.reopened += r.reopened
  }
  return total
}

/** Recomputes issues by id in chunks (after an ownership change moved their application's business tier). */
export const recomputeIssueIds = (tx: Queryable, ids: number[], now: Date, origin: RecomputeOrigin = {}) =>
  recomputeIssuesOf(
    tx,
    ids.map((issue_id) => ({ issue_id })),
    now,
    origin,
  )

/** Marks absent what a complete, successful run did not report, and recomputes the issues concerned. */
export const resolveMissing = async (
  db: Db,
  a: ResolutionScope & { now: Date },
): Promise<{ resolved: number; issuesFixed: number }> =>
  transactionRetried(db, async (tx) => {
    const { rows } = await tx.query<{ issue_id: number | null }>(
      `UPDATE occurrences o SET state = 'absent', absent_since = $6
        WHERE o.connection_id = $1 AND o.state = 'present' AND o.last_seen_run_id <> $2 ${scopeFilter}
        RETURNING o.issue_id`,
      [a.connectionId, a.runId, a.incompleteScopes, a.selection, a.completeScopes, a.now],
    )
    const { fixed } = await recomputeIssuesOf(tx, rows, a.now, { runId: a.runId })
    return { resolved: rows.length, issuesFixed: fixed }
  })

/**
 * Takes out of the queue what a connection no longer scans: present occurrences whose location is not in the
 * selection become `excluded` (not fixed: nothing verified it), and come back when their location is selected and
 * read again. Returns how many were excluded.
 */
export const excludeDeselected = async (
  db: Db,
  a: { connectionId: string; selection: string[] | null; now: Date },
): Promise<number> => {
  if (a.selection === null) return 0
  return transactionRetried(db, async (tx) => {
    const { rows } = await tx.query<{ issue_id: number | null }>(
      `UPDATE occurrences o SET state = 'excluded', absent_since = $3
        WHERE o.connection_id = $1 AND o.state = 'present' AND o.scope <> '' AND NOT (o.scope = ANY($2::text[]))
        RETURNING o.issue_id`,
      [a.connectionId, a.selection, a.now],
    )
    await recomputeIssuesOf(tx, rows, a.now)
    return rows.length
  })
}

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
  const matcher = await loadRepoMatcher(db, workspaceId)
  if (matcher.size === 0) return 0
  let joined = 0
  let after = 0
  for (;;) {
    const { rows } = await db.query<{
      id: number
      ext_key: string | null
      url_key: string | null
      name_key: string | null
      match_key: string
    }>(
      `SELECT o.id, o.ext_key, o.url_key, o.name_key, o.match_key FROM occurrences o
        WHERE o.workspace_id = $1 AND o.repository_id IS NULL AND ($2::text IS NULL OR o.match_key = $2) AND o.id > $3
        ORDER BY o.id LIMIT 5000`,
      [workspaceId, opts.matchKey ?? null, after],
    )
    const hits = rows
      .map((r) => ({
        id: r.id,
        rid: matcher.match({ externalKey: r.ext_key, urlKey: r.url_key, nameKey: r.name_key, matchKey: r.match_key }),
      }))
      .filter((h) => h.rid !== null)
    if (hits.length > 0)
      await transactionRetried(db, async (tx) => {
        await tx.query(
          `UPDATE occurrences o SET repository_id = x.rid FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, rid bigint)
            WHERE o.id = x.id AND o.repository_id IS NULL`,
          [JSON.stringify(hits)],
        )
        await attachIssues(
          tx,
          workspaceId,
          hits.map((h) => h.id),
          now,
        )
      })
    joined += hits.length
    after = rows.at(-1)?.id ?? after
    if (rows.length < 5000) break
  }
  return joined
}
