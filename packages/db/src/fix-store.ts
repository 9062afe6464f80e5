import {
  type AffectedRange,
  closedAtAfter,
  draftsOf,
  type EpssValue,
  type IssueStatus,
  renderEpssMarks,
  type Stage,
  transition,
} from '@vulnsync/core'
import type { Queryable } from './driver.ts'
import { EPSS_NOW } from './queue-store.ts'
import { type Actor, type IssueEventInput, insertIssueEvents, lockIssueRows } from './workflow-store.ts'

/**
 * Fix plans' inputs and fix pull requests: what planning reads from the occurrences, the pull requests vulnsync
 * opened with the issues they cover, and how their lifecycle moves those issues (through the workflow's one transition
 * function, with timeline entries).
 */

/** One present occurrence of an open issue, as planning needs it. */
export interface FixOccurrenceRow {
  issue_id: number
  cve: string
  kind: string
  target_key: string
  repository_id: number | null
  target_kind: string
  package_key: string
  package_purl: string
  package_name: string
  ecosystem: string
  package_version: string | null
  manifest_path: string | null
  fixed_versions: string[]
  affected_ranges: AffectedRange[] | null
  direct: boolean | null
  severity: string
  priority: string
}

const OCCURRENCE_COLUMNS = `o.issue_id, o.cve, c.kind, i.target_key, i.repository_id, i.target_kind, o.package_key,
  o.package_purl, o.package_name, o.ecosystem, o.package_version, o.manifest_path, o.fixed_versions, o.affected_ranges,
  (o.signals->>'direct')::boolean AS direct, i.severity, i.priority`

/** The present occurrences of the open issues of a repository (or of one issue's target and package). */
export const listFixOccurrences = async (
  db: Queryable,
  workspaceId: string,
  by: { repositoryId: string } | { issueId: string },
): Promise<FixOccurrenceRow[]> => {
  const where =
    'repositoryId' in by
      ? `i.repository_id = $2 AND i.status = 'open'`
      : `(i.target_key, i.package_key) = (SELECT target_key, package_key FROM issues WHERE id = $2 AND workspace_id = $1)
         AND (i.status = 'open' OR i.id = $2)`
  return (
    await db.query<FixOccurrenceRow>(
      `SELECT ${OCCURRENCE_COLUMNS}
         FROM issues i
         JOIN occurrences o ON o.issue_id = i.id AND o.state = 'present' AND o.vendor_state = 'open'
         JOIN connections c ON c.id = o.connection_id
        WHERE i.workspace_id = $1 AND ${where}
        ORDER BY i.id, o.id`,
      [workspaceId, 'repositoryId' in by ? by.repositoryId : by.issueId],
    )
  ).rows
}

/** Advisories of these packages reported anywhere in the workspace (a fix must not move into one of them). */
export const listKnownAdvisories = async (
  db: Queryable,
  workspaceId: string,
  packageKeys: string[],
): Promise<Pick<FixOccurrenceRow, 'package_key' | 'cve' | 'kind' | 'fixed_versions' | 'affected_ranges'>[]> =>
  packageKeys.length === 0
    ? []
    : (
        await db.query(
          `SELECT DISTINCT ON (o.package_key, o.cve, c.kind) o.package_key, o.cve, c.kind, o.fixed_versions, o.affected_ranges
             FROM occurrences o JOIN connections c ON c.id = o.connection_id
            WHERE o.workspace_id = $1 AND o.package_key = ANY($2::text[]) AND o.state = 'present'
            ORDER BY o.package_key, o.cve, c.kind, o.last_seen_at DESC`,
          [workspaceId, packageKeys],
        )
      ).rows

/** A repository with the SCM connection it came from. */
export interface FixRepositoryRow {
  id: number
  full_name: string
  external_id: string
  default_branch: string | null
  web_url: string
  provider: string
  connection_id: string
  removed_at: Date | null
}

export const getFixRepository = async (
  db: Queryable,
  workspaceId: string,
  id: string,
): Promise<FixRepositoryRow | null> =>
  (
    await db.query<FixRepositoryRow>(
      `SELECT r.id, r.full_name, r.external_id, r.default_branch, r.web_url, r.provider, r.connection_id, r.removed_at
         FROM repositories r WHERE r.workspace_id = $1 AND r.id = $2`,
      [workspaceId, id],
    )
  ).rows[0] ?? null

/** What a pull request body says about each issue it fixes. */
export interface FixIssueFacts {
  id: number
  cve: string
  severity: string
  priority: string
  explanation: string
  sources: { kind: string; name: string; evidence: unknown; version: string | null; manifest: string | null }[]
}

export const listFixIssueFacts = async (db: Queryable, issueIds: number[]): Promise<FixIssueFacts[]> =>
  (
    await db.query<FixIssueFacts & { epss: EpssValue | null }>(
      `SELECT i.id, i.cve, i.severity, i.priority, i.explanation, ${EPSS_NOW},
              (SELECT json_agg(json_build_object('kind', c.kind, 'name', c.name, 'evidence', o.evidence,
                      'version', o.package_version, 'manifest', o.manifest_path) ORDER BY c.kind)
                 FROM occurrences o JOIN connections c ON c.id = o.connection_id
                WHERE o.issue_id = i.id AND o.state = 'present') AS sources
         FROM issues i WHERE i.id = ANY($1::bigint[]) ORDER BY i.priority_rank DESC, i.cve`,
      [issueIds],
    )
  ).rows.map(({ epss, ...r }) => ({
    ...r,
    id: Number(r.id),
    // the sentence with the EPSS value as it is now
    explanation: renderEpssMarks(r.explanation, epss),
    sources: r.sources ?? [],
  }))

// ------------------------------------------------------------------ fix pull requests

export interface FixPrRow {
  id: number
  workspace_id: string
  repository_id: number
  connection_id: string
  provider: string
  manifest_dir: string
  branch: string
  base_branch: string
  number: number
  url: string
  state: 'open' | 'merged' | 'closed'
  title: string
  body: string
  changes: { path: string; diff: string }[]
  packages: unknown[]
  head_sha: string | null
  created_by: string
  created_at: Date
  updated_at: Date
  merged_at: Date | null
  closed_at: Date | null
  refreshed_at: Date | null
  issue_ids: string[]
  repository: string
}

const PR_COLUMNS = `p.*, r.full_name AS repository,
  COALESCE((SELECT array_agg(x.issue_id::text ORDER BY x.issue_id) FROM fix_pr_issues x WHERE x.fix_pr_id = p.id), '{}') AS issue_ids`

export const listFixPrs = async (
  db: Queryable,
  workspaceId: string,
  f: { repositoryId?: string | undefined; state?: string[] | undefined; issueId?: string | undefined } = {},
): Promise<FixPrRow[]> =>
  (
    await db.query<FixPrRow>(
      `SELECT ${PR_COLUMNS} FROM fix_prs p JOIN repositories r ON r.id = p.repository_id
        WHERE p.workspace_id = $1 AND ($2::bigint IS NULL OR p.repository_id = $2)
          AND ($3::text[] IS NULL OR p.state = ANY($3::text[]))
          AND ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM fix_pr_issues x WHERE x.fix_pr_id = p.id AND x.issue_id = $4))
        ORDER BY p.id DESC LIMIT 1000`,
      [workspaceId, f.repositoryId ?? null, f.state ?? null, f.issueId ?? null],
    )
  ).rows

/** Records a pull request as opened or updated (the open one of its repository and directory is updated in place). */
export const saveFixPr = async (
  tx: Queryable,
  p: {
    workspaceId: string
    repositoryId: number
    connectionId: string
    provider: string
    manifestDir: string
    branch: string
    baseBranch: string
    number: number
    url: string
    state: FixPrRow['state']
    title: string
    body: string
    changes: unknown
    packages: unknown
    headSha: string | null
    createdBy: string
    issueIds: number[]
    now: Date
  },
): Promise<{ id: number; added: number[] }> => {
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO fix_prs (workspace_id, repository_id, connection_id, provider, manifest_dir, branch, base_branch, number,
        url, state, title, body, changes, packages, head_sha, created_by, created_at, updated_at, refreshed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $17)
     ON CONFLICT (repository_id, number) DO UPDATE SET title = excluded.title, body = excluded.body,
        changes = excluded.changes, packages = excluded.packages, head_sha = excluded.head_sha, state = excluded.state,
        updated_at = excluded.updated_at, refreshed_at = excluded.refreshed_at
     RETURNING id`,
    [
      p.workspaceId,
      p.repositoryId,
      p.connectionId,
      p.provider,
      p.manifestDir,
      p.branch,
      p.baseBranch,
      p.number,
      p.url,
      p.state,
      p.title,
      p.body,
      JSON.stringify(p.changes),
      JSON.stringify(p.packages),
      p.headSha,
      p.createdBy,
      p.now,
    ],
  )
  const id = Number(rows[0]!.id)
  const { rows: added } = await tx.query<{ issue_id: number }>(
    `INSERT INTO fix_pr_issues (fix_pr_id, issue_id) SELECT $1, unnest($2::bigint[])
     ON CONFLICT DO NOTHING RETURNING issue_id`,
    [id, p.issueIds],
  )
  return { id, added: added.map((a) => Number(a.issue_id)) }
}

export const setFixPrState = async (
  tx: Queryable,
  id: number,
  s: { state: FixPrRow['state']; mergedAt: Date | null; closedAt: Date | null; headSha: string | null; now: Date },
) =>
  tx.query(
    `UPDATE fix_prs SET state = $2, merged_at = $3, closed_at = $4, head_sha = COALESCE($5, head_sha), refreshed_at = $6,
            updated_at = CASE WHEN state <> $2 THEN $6 ELSE updated_at END
      WHERE id = $1`,
    [id, s.state, s.mergedAt, s.closedAt, s.headSha, s.now],
  )

export const fixPrIssueIds = async (db: Queryable, id: number): Promise<number[]> =>
  (await db.query<{ issue_id: number }>(`SELECT issue_id FROM fix_pr_issues WHERE fix_pr_id = $1`, [id])).rows.map(
    (r) => Number(r.issue_id),
  )

/**
 * Moves issues along with their fix pull request, through the workflow's transition function: `fix_proposed` (opened),
 * `fix_merged` (merged), `fix_abandoned` (closed without merging: back to triaged). One timeline entry per issue names
 * the pull request; one more per stage change. Returns how many issues changed stage.
 */
export const applyFixEvent = async (
  tx: Queryable,
  issueIds: number[],
  event: 'fix_proposed' | 'fix_merged' | 'fix_abandoned',
  pr: { id: number; number: number; url: string },
  actor: Actor,
  now: Date,
): Promise<number> => {
  if (issueIds.length === 0) return 0
  await lockIssueRows(tx, issueIds)
  const { rows } = await tx.query<{
    id: number
    workspace_id: string
    status: IssueStatus
    stage: Stage
    closed_at: Date | null
    fixed_at: Date | null
    decision_kind: string | null
  }>(
    `SELECT i.id, i.workspace_id, i.status, i.stage, i.closed_at, i.fixed_at, d.kind AS decision_kind
       FROM issues i LEFT JOIN decisions d ON d.id = i.decision_id AND d.ended_at IS NULL
      WHERE i.id = ANY($1::bigint[])`,
    [issueIds],
  )
  const updates: { id: number; stage: string; status: string; closed_at: string | null }[] = []
  const events: IssueEventInput[] = []
  const action = { fix_proposed: 'opened', fix_merged: 'merged', fix_abandoned: 'closed' }[event]
  for (const r of rows) {
    const t = transition(
      { status: r.status, stage: r.stage, decision: (r.decision_kind as any) ?? null },
      { type: event },
    )
    if (!t.ok) continue
    const base = { issue_id: Number(r.id), workspace_id: r.workspace_id }
    events.push({
      ...base,
      type: 'fix_pull_request',
      detail: {
        action,
        pullRequest: { id: String(pr.id), number: pr.number, url: pr.url },
        ...(event === 'fix_abandoned' ? { note: 'closed without merging: the issue needs a fix again' } : {}),
      },
    })
    for (const d of draftsOf(t.changes)) events.push({ ...base, type: d.type, detail: { ...d } })
    if (t.changes.length > 0) {
      const closedAt = closedAtAfter(r.status, t.state.status, r.closed_at, now, r.fixed_at)
      updates.push({
        id: Number(r.id),
        stage: t.state.stage,
        status: t.state.status,
        closed_at: closedAt?.toISOString() ?? null,
      })
    }
  }
  if (updates.length > 0)
    await tx.query(
      `UPDATE issues i SET stage = x.stage, status = x.status, closed_at = x.closed_at, updated_at = $2
         FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, stage text, status text, closed_at timestamptz)
        WHERE i.id = x.id`,
      [JSON.stringify(updates), now],
    )
  await insertIssueEvents(tx, events, actor, { at: now })
  return updates.length
}

/**
 * After a complete scanner sync: the issues of merged fix pull requests that the scanners no longer report are fixed
 * by that pull request (`fixed_by`); those a sync that started after the merge still reports are flagged "merged but
 * still vulnerable" with the versions the scanner now sees. Each gets one timeline entry. Returns the counts.
 */
export const verifyFixes = async (
  tx: Queryable,
  a: { connectionId: string; runId: string; runStartedAt: Date; now: Date },
): Promise<{ verified: number; stillVulnerable: number }> => {
  const { rows: fixed } = await tx.query<{ id: number; workspace_id: string; pr: any }>(
    `UPDATE issues i SET fixed_by = jsonb_build_object('pullRequest', jsonb_build_object('id', p.id::text, 'number', p.number, 'url', p.url)),
            fix_verification = NULL
       FROM fix_pr_issues x JOIN fix_prs p ON p.id = x.fix_pr_id
      WHERE x.issue_id = i.id AND p.state = 'merged' AND i.status = 'fixed' AND i.fixed_by IS NULL
        AND i.fixed_at >= p.merged_at - interval '1 second'
        AND EXISTS (SELECT 1 FROM occurrences o WHERE o.issue_id = i.id AND o.connection_id = $1)
      RETURNING i.id, i.workspace_id, i.fixed_by->'pullRequest' AS pr`,
    [a.connectionId],
  )
  const { rows: still } = await tx.query<{ id: number; workspace_id: string; pr: any; versions: string[] }>(
    `UPDATE issues i SET fix_verification = jsonb_build_object('status', 'still_vulnerable',
            'pullRequest', jsonb_build_object('id', p.id::text, 'number', p.number, 'url', p.url),
            'versions', v.versions, 'runId', $2::text, 'at', $4::timestamptz)
       FROM fix_pr_issues x JOIN fix_prs p ON p.id = x.fix_pr_id,
            LATERAL (SELECT COALESCE(jsonb_agg(DISTINCT o.package_version) FILTER (WHERE o.package_version IS NOT NULL), '[]') AS versions
                       FROM occurrences o WHERE o.issue_id = x.issue_id AND o.connection_id = $1 AND o.last_seen_run_id = $2::uuid
                        AND o.state = 'present') v
      WHERE x.issue_id = i.id AND p.state = 'merged' AND i.status = 'open' AND p.merged_at <= $3
        AND EXISTS (SELECT 1 FROM occurrences o WHERE o.issue_id = i.id AND o.connection_id = $1
                     AND o.last_seen_run_id = $2::uuid AND o.state = 'present')
        AND (i.fix_verification IS NULL OR i.fix_verification->>'runId' IS DISTINCT FROM $2::text)
      RETURNING i.id, i.workspace_id, i.fix_verification->'pullRequest' AS pr, i.fix_verification->'versions' AS versions`,
    [a.connectionId, a.runId, a.runStartedAt, a.now],
  )
  const events: IssueEventInput[] = [
    ...fixed.map((r) => ({
      issue_id: Number(r.id),
      workspace_id: r.workspace_id,
      type: 'fix_verified',
      detail: { pullRequest: r.pr, runId: a.runId, note: 'a complete scan after the merge no longer reports it' },
    })),
    ...still.map((r) => ({
      issue_id: Number(r.id),
      workspace_id: r.workspace_id,
      type: 'fix_not_verified',
      detail: {
        pullRequest: r.pr,
        runId: a.runId,
        versions: r.versions,
        note: `merged but still vulnerable: the scanner still sees ${(r.versions ?? []).join(', ') || 'the package'}`,
      },
    })),
  ]
  await insertIssueEvents(tx, events, { name: 'sync', kind: 'sync' }, { at: a.now })
  return { verified: fixed.length, stillVulnerable: still.length }
}

/** What the fix view of an issue shows besides its plan: verification and the pull requests covering it. */
export const getIssueFixState = async (
  db: Queryable,
  issueId: string,
): Promise<{ fixed_by: unknown; fix_verification: unknown } | null> =>
  (
    await db.query<{ fixed_by: unknown; fix_verification: unknown }>(
      `SELECT fixed_by, fix_verification FROM issues WHERE id = $1`,
      [issueId],
    )
  ).rows[0] ?? null
