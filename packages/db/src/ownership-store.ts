import { createHash } from 'node:crypto'
import {
  type BusinessPriorityThresholds,
  businessTier,
  type CodeownersDialect,
  type CodeownersFile,
  createOwnershipWorld,
  DEFAULT_BUSINESS_PRIORITY_THRESHOLDS,
  type OwnershipAnswer,
  type OwnershipRuleInput,
  type OwnershipSubject,
  type OwnershipWorld,
  type OwnershipWorldInput,
  parseCodeowners,
  type ScannerOwnership,
} from '@vulnsync/core'
import type { Queryable } from './driver.ts'
import { getPriorityPolicy } from './priority-store.ts'
import { type IssueEventInput, insertIssueEvents, SYNC_ACTOR } from './workflow-store.ts'

/**
 * Who owns each issue, kept set-based. An issue's ownership depends only on its *context*: its target, manifest
 * path and what its scanners say about owners. Many issues share one context (every vulnerable package of one
 * manifest), so each distinct context is resolved once (by the pure resolver in packages/core) and stored with its
 * answer, and issues carry the context's team and application (for the queue's filters and indexes). Recomputing
 * after a rule, CODEOWNERS or team change resolves the contexts again and moves their issues in one statement per
 * chunk of contexts; no scanner is read again.
 */

/** The ownership lock of a workspace: ingest takes it shared, a recompute exclusively (no deadlock between them). */
const LOCK_CLASS = 727014
export const lockOwnership = async (tx: Queryable, workspaceId: string, mode: 'shared' | 'exclusive') => {
  await tx.query(
    mode === 'shared'
      ? 'SELECT pg_advisory_xact_lock_shared($1, hashtext($2))'
      : 'SELECT pg_advisory_xact_lock($1, hashtext($2))',
    [LOCK_CLASS, workspaceId],
  )
}

/** The business-priority thresholds: the `businessPriority` of the workspace's priority policy (over the defaults). */
export const getBusinessPriorityThresholds = async (
  db: Queryable,
  workspaceId: string,
): Promise<BusinessPriorityThresholds> => (await getPriorityPolicy(db, workspaceId)).businessPriority

// ------------------------------------------------------------------ the world the resolver needs

export interface WorldScope {
  /** load the CODEOWNERS of these repositories only (null: all of the workspace) */
  repositoryIds?: number[] | null
}

/** Teams, users, applications, rules, CODEOWNERS and default teams of a workspace, ready to resolve. */
export const loadOwnershipWorld = async (
  db: Queryable,
  workspaceId: string,
  scope: WorldScope = {},
): Promise<OwnershipWorld> => createOwnershipWorld(await loadOwnershipWorldInput(db, workspaceId, scope))

/** What `loadOwnershipWorld` resolves with (a preview swaps the rules). */
export const loadOwnershipWorldInput = async (
  db: Queryable,
  workspaceId: string,
  scope: WorldScope = {},
): Promise<OwnershipWorldInput> => {
  const { rows: teams } = await db.query<{ id: string; name: string; slug: string; member_ids: string[] }>(
    `SELECT t.id, t.name, t.slug, COALESCE(array_agg(m.user_id) FILTER (WHERE m.user_id IS NOT NULL), '{}') AS member_ids
       FROM teams t LEFT JOIN team_members m ON m.team_id = t.id WHERE t.workspace_id = $1 GROUP BY t.id`,
    [workspaceId],
  )
  const { rows: users } = await db.query<{ id: string; username: string }>(
    `SELECT id, username FROM users WHERE workspace_id = $1 AND disabled_at IS NULL`,
    [workspaceId],
  )
  const { rows: apps } = await db.query<{
    id: string
    name: string
    business_priority: number | null
    source_label: string | null
    connection_id: string | null
    external_key: string | null
    target_keys: string[]
  }>(
    `SELECT a.id, a.name, a.business_priority, a.source_label, a.connection_id, a.external_key,
            COALESCE(array_agg(t.target_key) FILTER (WHERE t.target_key IS NOT NULL), '{}') AS target_keys
       FROM applications a LEFT JOIN application_targets t ON t.application_id = a.id
      WHERE a.workspace_id = $1 GROUP BY a.id`,
    [workspaceId],
  )
  const rules = await listRuleInputs(db, workspaceId)
  const { rows: files } = await db.query<{
    repository_id: number
    path: string
    dialect: CodeownersDialect
    content: string
  }>(
    `SELECT c.repository_id, c.path, c.dialect, c.content FROM repository_codeowners c JOIN repositories r ON r.id = c.repository_id
      WHERE r.workspace_id = $1 AND ($2::bigint[] IS NULL OR c.repository_id = ANY($2::bigint[]))`,
    [workspaceId, scope.repositoryIds ?? null],
  )
  const { rows: defaults } = await db.query<{ id: number; default_team_id: string }>(
    `SELECT id, default_team_id FROM repositories WHERE workspace_id = $1 AND default_team_id IS NOT NULL`,
    [workspaceId],
  )
  return {
    teams: teams.map((t) => ({ id: t.id, name: t.name, slug: t.slug, memberIds: t.member_ids })),
    users,
    applications: apps.map((a) => ({
      id: a.id,
      name: a.name,
      businessPriority: a.business_priority,
      sourceLabel: a.source_label,
      connectionId: a.connection_id,
      externalKey: a.external_key,
      targetKeys: a.target_keys,
    })),
    rules,
    codeowners: new Map(
      files.map((f) => [
        f.repository_id,
        { path: f.path, file: parseCodeowners(f.content, f.dialect) as CodeownersFile },
      ]),
    ),
    defaultTeams: new Map(defaults.map((d) => [d.id, d.default_team_id])),
  }
}

export interface RuleRow {
  id: string
  position: number
  match_repository: string | null
  match_image: string | null
  match_path: string | null
  team_id: string | null
  application_id: string | null
}

export const ruleInput = (r: RuleRow): OwnershipRuleInput => ({
  id: r.id,
  position: r.position,
  match: { repository: r.match_repository, image: r.match_image, path: r.match_path },
  teamId: r.team_id,
  applicationId: r.application_id,
})

export const listRuleInputs = async (db: Queryable, workspaceId: string): Promise<OwnershipRuleInput[]> =>
  (
    await db.query<RuleRow>(
      `SELECT id, position, match_repository, match_image, match_path, team_id, application_id
         FROM ownership_rules WHERE workspace_id = $1 ORDER BY position, created_at`,
      [workspaceId],
    )
  ).rows.map(ruleInput)

// ------------------------------------------------------------------ contexts

interface ContextRow {
  id: number
  target_key: string
  repository_id: number | null
  repository_name: string | null
  target_kind: string
  target_name: string
  manifest_path: string
  scanner: { connectionId: string; data: ScannerOwnership }[] | null
  team_id: string | null
  application_id: string | null
  source: string | null
  reason: string | null
}

const subjectOf = (c: ContextRow): OwnershipSubject => ({
  targetKey: c.target_key,
  targetKind: c.target_kind,
  targetName: c.target_name,
  repositoryId: c.repository_id,
  repositoryName: c.repository_name,
  manifestPath: c.manifest_path || null,
  scanners: c.scanner ?? [],
})

const CONTEXT_COLUMNS = `c.id, c.target_key, c.repository_id, r.full_name AS repository_name, c.target_kind, c.target_name,
  c.manifest_path, c.scanner, c.team_id, c.application_id, c.source, c.reason`

/** An answer differs from what a context holds. */
const differs = (c: ContextRow, a: OwnershipAnswer) =>
  c.team_id !== (a.team?.id ?? null) ||
  c.application_id !== (a.application?.id ?? null) ||
  c.source !== a.source ||
  c.reason !== a.reason

interface ContextChange {
  id: number
  team_id: string | null
  application_id: string | null
  source: string
  reason: string
  /** the application's business tier or words changed: its issues' priority must be computed again */
  reprioritise: boolean
}

type AppWords = Map<string, { bp: number | null; label: string | null }>

/** What an application does to its issues' priority: nothing, or a factor with these words. */
const businessSig = (app: { bp: number | null; label: string | null } | undefined, t: BusinessPriorityThresholds) => {
  const tier = businessTier(app?.bp, t)
  return tier === 0 ? '0' : `${tier}|${app?.label ?? ''}|${app?.bp}`
}

const changeOf = (
  c: ContextRow,
  a: OwnershipAnswer,
  before: AppWords,
  after: AppWords,
  t: BusinessPriorityThresholds,
): ContextChange => ({
  id: c.id,
  team_id: a.team?.id ?? null,
  application_id: a.application?.id ?? null,
  source: a.source,
  reason: a.reason,
  reprioritise:
    businessSig(c.application_id ? before.get(c.application_id) : undefined, t) !==
    businessSig(a.application ? after.get(a.application.id) : undefined, t),
})

const writeContextChanges = async (tx: Queryable, changes: ContextChange[], now: Date) => {
  for (let i = 0; i < changes.length; i += 10_000)
    await tx.query(
      `UPDATE owner_contexts c SET team_id = x.team_id, application_id = x.application_id, source = x.source,
              reason = x.reason, resolved_at = $2
         FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, team_id uuid, application_id uuid, source text, reason text)
        WHERE c.id = x.id`,
      [JSON.stringify(changes.slice(i, i + 10_000)), now],
    )
}

/** What each application of a workspace says now (business priority and the tool's name). */
export const applicationWords = async (tx: Queryable, workspaceId: string): Promise<AppWords> => {
  const { rows } = await tx.query<{ id: string; business_priority: number | null; source_label: string | null }>(
    `SELECT id, business_priority, source_label FROM applications WHERE workspace_id = $1`,
    [workspaceId],
  )
  return new Map(rows.map((r) => [r.id, { bp: r.business_priority, label: r.source_label }]))
}

export interface RecomputeScope {
  /** only contexts of these repositories (a CODEOWNERS file or a default team changed) */
  repositoryIds?: number[]
  /** only contexts whose application is one of these (an application's words changed) */
  applicationIds?: string[]
}

export interface OwnershipRecompute {
  contexts: number
  contextsChanged: number
  issuesMoved: number
  /** issues whose application's business tier changed: their priority must be computed again */
  reprioritise: number[]
}

/**
 * Resolves the contexts of a workspace again (all, or a scope) and moves their issues: set-based, in chunks of
 * contexts, without reading any scanner. Returns the issues whose priority must be computed again (their
 * application's business tier changed); the caller recomputes them (ingest-store's recomputeIssues).
 */
export const recomputeOwnership = async (
  tx: Queryable,
  workspaceId: string,
  o: {
    now: Date
    scope?: RecomputeScope
    /** the applications' words the issues were computed with, when an application was edited before this call */
    previous?: AppWords
    /** the caller holds the workspace's ownership lock already (the ingest, for its scanner's applications) */
    locked?: boolean
  },
): Promise<OwnershipRecompute> => {
  if (!o.locked) await lockOwnership(tx, workspaceId, 'exclusive')
  const scope = o.scope ?? {}
  const world = await loadOwnershipWorld(tx, workspaceId, { repositoryIds: scope.repositoryIds ?? null })
  const thresholds = await getBusinessPriorityThresholds(tx, workspaceId)
  const now = await applicationWords(tx, workspaceId)
  const prev = o.previous ?? now
  const out: OwnershipRecompute = { contexts: 0, contextsChanged: 0, issuesMoved: 0, reprioritise: [] }
  let after = 0
  for (;;) {
    const { rows } = await tx.query<ContextRow>(
      `SELECT ${CONTEXT_COLUMNS} FROM owner_contexts c LEFT JOIN repositories r ON r.id = c.repository_id
        WHERE c.workspace_id = $1 AND c.id > $2
          AND ($3::bigint[] IS NULL OR c.repository_id = ANY($3::bigint[]))
          AND ($4::uuid[] IS NULL OR c.application_id = ANY($4::uuid[]))
        ORDER BY c.id LIMIT 20000`,
      [workspaceId, after, scope.repositoryIds ?? null, scope.applicationIds ?? null],
    )
    if (rows.length === 0) break
    after = rows.at(-1)!.id
    out.contexts += rows.length
    const changes: ContextChange[] = []
    for (const c of rows) {
      const a = world.resolve(subjectOf(c))
      const change = changeOf(c, a, prev, now, thresholds)
      if (differs(c, a) || change.reprioritise) changes.push(change)
    }
    out.contextsChanged += changes.length
    if (changes.length === 0) continue
    await writeContextChanges(tx, changes, o.now)
    const moved = await tx.query(
      `UPDATE issues i SET owner_team_id = c.team_id, application_id = c.application_id
         FROM owner_contexts c
        WHERE c.id = ANY($1::bigint[]) AND i.owner_context_id = c.id
          AND (i.owner_team_id IS DISTINCT FROM c.team_id OR i.application_id IS DISTINCT FROM c.application_id)`,
      [changes.map((c) => c.id)],
    )
    out.issuesMoved += moved.rowCount
    const again = changes.filter((c) => c.reprioritise).map((c) => c.id)
    if (again.length > 0) {
      const { rows: ids } = await tx.query<{ id: number }>(
        `SELECT id FROM issues WHERE owner_context_id = ANY($1::bigint[])`,
        [again],
      )
      for (const r of ids) out.reprioritise.push(r.id)
    }
  }
  return out
}

// ------------------------------------------------------------------ ingest: the scanners' applications

const isScannerOwnership = (v: unknown): v is ScannerOwnership =>
  typeof v === 'object' && v !== null && typeof (v as ScannerOwnership).label === 'string'

/**
 * Upserts the applications a batch's findings name (an OX application with its business priority), keyed by the
 * connection and the scanner's id. When an application's name or priority changed upstream, its contexts are
 * resolved again (their reason quotes the priority) and the issues whose business tier changed are returned.
 */
export const upsertScannerApplications = async (
  tx: Queryable,
  workspaceId: string,
  connectionId: string,
  ownerships: unknown[],
  now: Date,
): Promise<{ reprioritise: number[] }> => {
  const apps = new Map<string, { key: string; name: string; bp: number | null; label: string }>()
  for (const o of ownerships) {
    if (!isScannerOwnership(o) || !o.application?.key) continue
    const bp = o.application.businessPriority
    apps.set(o.application.key, {
      key: o.application.key,
      name: o.application.name || o.application.key,
      bp: typeof bp === 'number' && Number.isFinite(bp) ? Math.min(100, Math.max(0, bp)) : null,
      label: o.label,
    })
  }
  if (apps.size === 0) return { reprioritise: [] }
  const before = await applicationWords(tx, workspaceId)
  const { rows } = await tx.query<{ id: string; inserted: boolean }>(
    `INSERT INTO applications AS a (workspace_id, name, business_priority, origin, connection_id, external_key, source_label,
            created_at, updated_at)
     SELECT $1, x.name, x.bp, 'scanner', $2, x.key, x.label, $3, $3
       FROM jsonb_to_recordset($4::jsonb) AS x(key text, name text, bp real, label text)
     ON CONFLICT (connection_id, external_key) WHERE connection_id IS NOT NULL DO UPDATE
        SET name = excluded.name, business_priority = excluded.business_priority, source_label = excluded.source_label,
            updated_at = excluded.updated_at
      WHERE (a.name, a.business_priority, a.source_label) IS DISTINCT FROM
            (excluded.name, excluded.business_priority, excluded.source_label)
     RETURNING a.id, (a.xmax = 0) AS inserted`,
    [workspaceId, connectionId, now, JSON.stringify([...apps.values()])],
  )
  const changed = rows.filter((r) => !r.inserted).map((r) => r.id)
  if (changed.length === 0) return { reprioritise: [] }
  const r = await recomputeOwnership(tx, workspaceId, {
    now,
    scope: { applicationIds: changed },
    previous: before,
    locked: true,
  })
  return { reprioritise: r.reprioritise }
}

// ------------------------------------------------------------------ ingest: contexts of new and changed issues

interface IssueOwnerInput {
  id: number
  workspace_id: string
  target_key: string
  repository_id: number | null
  target_kind: string
  target_name: string
  owner_context_id: number | null
  owner_team_id: string | null
  application_id: string | null
  assignee_id: string | null
  manifest_path: string | null
  scanner: { connectionId: string; data: ScannerOwnership }[] | null
}

/** What places an issue in an ownership context: its target, the manifest it is found in, what the scanners say. */
export interface OwnerContextInput {
  target_key: string
  repository_id: number | null
  target_kind: string
  target_name: string
  manifest_path: string
  scanner_key: string
  scanner: { connectionId: string; data: ScannerOwnership }[] | null
}

/**
 * The ownership contexts of these inputs, created where missing and resolved when seen for the first time (the
 * contexts already known are current). Returns each with its team and application.
 */
export const ensureOwnerContexts = async (
  tx: Queryable,
  workspaceId: string,
  ctxs: OwnerContextInput[],
  now: Date,
): Promise<(ContextRow & { resolved_at: Date | null; scanner_key: string })[]> => {
  // in key order: a concurrent batch creating some of the same contexts waits, never in a cycle (ADR 0015)
  const distinct = new Map(ctxs.map((c) => [ctxKey(c), c] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  const find = async (keys: OwnerContextInput[]) =>
    (
      await tx.query<ContextRow & { resolved_at: Date | null; scanner_key: string }>(
        `SELECT ${CONTEXT_COLUMNS}, c.scanner_key, c.resolved_at
           FROM jsonb_to_recordset($2::jsonb) AS x(target_key text, manifest_path text, scanner_key text)
           JOIN owner_contexts c ON c.workspace_id = $1 AND c.target_key = x.target_key
                AND c.manifest_path = x.manifest_path AND c.scanner_key = x.scanner_key
           LEFT JOIN repositories r ON r.id = c.repository_id`,
        [
          workspaceId,
          JSON.stringify(
            keys.map(({ target_key, manifest_path, scanner_key }) => ({ target_key, manifest_path, scanner_key })),
          ),
        ],
      )
    ).rows
  // nearly always they exist already (the batch created them before its transaction, or an earlier sync did): read
  // first, and insert only what is missing; an insert of rows that exist costs an index probe and a lock each
  const contexts = await find([...distinct.values()])
  const found = new Set(contexts.map(ctxKey))
  const missing = [...distinct.values()].filter((c) => !found.has(ctxKey(c)))
  if (missing.length > 0) {
    await tx.query(
      `INSERT INTO owner_contexts (workspace_id, target_key, repository_id, target_kind, target_name, manifest_path,
              scanner_key, scanner)
       SELECT $1, x.target_key, x.repository_id, x.target_kind, x.target_name, x.manifest_path, x.scanner_key, x.scanner
         FROM jsonb_to_recordset($2::jsonb) AS x(target_key text, repository_id bigint, target_kind text,
              target_name text, manifest_path text, scanner_key text, scanner jsonb)
       ON CONFLICT (workspace_id, target_key, manifest_path, scanner_key) DO NOTHING`,
      [workspaceId, JSON.stringify(missing)],
    )
    contexts.push(...(await find(missing)))
  }
  const unresolved = contexts.filter((c) => c.resolved_at === null)
  if (unresolved.length > 0) {
    const repos = [...new Set(unresolved.map((c) => c.repository_id).filter((x): x is number => x !== null))]
    const world = await loadOwnershipWorld(tx, workspaceId, { repositoryIds: repos })
    const changes = unresolved.map((c) => {
      const a = world.resolve(subjectOf(c))
      Object.assign(c, { team_id: a.team?.id ?? null, application_id: a.application?.id ?? null })
      return changeOf(c, a, new Map(), new Map(), DEFAULT_BUSINESS_PRIORITY_THRESHOLDS)
    })
    await writeContextChanges(tx, changes, now)
  }
  return contexts
}

export const scannerKey = (s: IssueOwnerInput['scanner']) =>
  s && s.length > 0 ? createHash('sha1').update(JSON.stringify(s)).digest('base64url').slice(0, 22) : ''

/**
 * Gives issues their ownership context and owner (the ingest path: new issues, and issues whose occurrences
 * changed), applies a team's default assignee to new issues nobody is assigned to (never over a person's
 * assignment), and returns the issues whose priority must be computed again because their application's business
 * tier changed. Contexts seen for the first time are resolved here; known ones are current already.
 */
export const refreshIssueOwnership = async (
  tx: Queryable,
  issueIds: number[],
  o: { now: Date; newIssueIds?: number[] },
): Promise<{ reprioritise: number[]; assigned: number }> => {
  const done = { reprioritise: [] as number[], assigned: 0 }
  if (issueIds.length === 0) return done
  const { rows } = await tx.query<IssueOwnerInput>(
    `SELECT i.id, i.workspace_id, i.target_key, i.repository_id, i.target_kind, i.target_name, i.owner_context_id,
            i.owner_team_id, i.application_id, i.assignee_id,
            (SELECT o.manifest_path FROM occurrences o WHERE o.issue_id = i.id AND o.manifest_path IS NOT NULL
              ORDER BY o.state <> 'present', o.manifest_path LIMIT 1) AS manifest_path,
            (SELECT json_agg(json_build_object('connectionId', x.connection_id, 'data', x.ownership) ORDER BY x.kind, x.connection_id)
               FROM (SELECT DISTINCT ON (o.connection_id) o.connection_id, c.kind, o.ownership
                       FROM occurrences o JOIN connections c ON c.id = o.connection_id
                      WHERE o.issue_id = i.id AND o.ownership IS NOT NULL
                      ORDER BY o.connection_id, o.state <> 'present', o.id) x) AS scanner
       FROM issues i WHERE i.id = ANY($1::bigint[])`,
    [issueIds],
  )
  if (rows.length === 0) return done
  const byWorkspace = new Map<string, IssueOwnerInput[]>()
  for (const r of rows) byWorkspace.set(r.workspace_id, [...(byWorkspace.get(r.workspace_id) ?? []), r])
  const fresh = new Set(o.newIssueIds ?? [])
  for (const [workspaceId, issues] of byWorkspace) {
    await lockOwnership(tx, workspaceId, 'shared')
    const keyed = issues.map((i) => ({
      issue: i,
      ctx: {
        target_key: i.target_key,
        repository_id: i.repository_id,
        target_kind: i.target_kind,
        target_name: i.target_name,
        manifest_path: i.manifest_path ?? '',
        scanner_key: scannerKey(i.scanner),
        scanner: i.scanner && i.scanner.length > 0 ? i.scanner : null,
      },
    }))
    const contexts = await ensureOwnerContexts(
      tx,
      workspaceId,
      keyed.map((k) => k.ctx),
      o.now,
    )
    const ctxOf = new Map(contexts.map((c) => [ctxKey(c), c]))
    const moves = keyed
      .map(({ issue, ctx }) => ({ issue, c: ctxOf.get(ctxKey(ctx))! }))
      .filter(
        ({ issue, c }) =>
          issue.owner_context_id !== c.id || issue.application_id !== c.application_id || fresh.has(issue.id),
      )
    if (moves.length === 0) continue
    // a new issue the ingest inserted with its context already (ownerContextsForNewIssues) is not written again
    const rewrite = moves.filter(
      ({ issue, c }) =>
        issue.owner_context_id !== c.id ||
        issue.application_id !== c.application_id ||
        issue.owner_team_id !== c.team_id,
    )
    if (rewrite.length > 0)
      await tx.query(
        `UPDATE issues i SET owner_context_id = c.id, owner_team_id = c.team_id, application_id = c.application_id
           FROM jsonb_to_recordset($1::jsonb) AS x(issue bigint, context bigint) JOIN owner_contexts c ON c.id = x.context
          WHERE i.id = x.issue`,
        [JSON.stringify(rewrite.map((m) => ({ issue: m.issue.id, context: m.c.id })))],
      )
    // a new issue was aggregated without its application, a moved one with another: its priority may change
    const thresholds = await getBusinessPriorityThresholds(tx, workspaceId)
    const words = await applicationWords(tx, workspaceId)
    for (const { issue, c } of moves) {
      const before = fresh.has(issue.id) || !issue.application_id ? undefined : words.get(issue.application_id)
      const after = c.application_id ? words.get(c.application_id) : undefined
      if (businessSig(before, thresholds) !== businessSig(after, thresholds)) done.reprioritise.push(issue.id)
    }
    done.assigned += await applyDefaultAssignees(
      tx,
      workspaceId,
      moves.filter((m) => fresh.has(m.issue.id) && m.issue.assignee_id === null && m.c.team_id).map((m) => m.issue.id),
      o.now,
    )
  }
  return done
}

/** What identifies an ownership context within a workspace: its target, manifest path and scanner key. */
export const ctxKey = (c: { target_key: string; manifest_path: string; scanner_key: string }) =>
  `${c.target_key}\u0000${c.manifest_path}\u0000${c.scanner_key}`

/**
 * New issues of a team with a default assignee, that nobody is assigned to, get that assignee: one statement, and
 * one timeline entry each saying why. An issue someone assigned (or unassigned after this) is never touched.
 */
export const applyDefaultAssignees = async (
  tx: Queryable,
  workspaceId: string,
  issueIds: number[],
  now: Date,
): Promise<number> => {
  if (issueIds.length === 0) return 0
  const { rows } = await tx.query<{ id: number; user_id: string; username: string; team: string }>(
    `UPDATE issues i SET assignee_id = t.default_assignee_id
       FROM teams t JOIN users u ON u.id = t.default_assignee_id AND u.disabled_at IS NULL
      WHERE i.id = ANY($1::bigint[]) AND i.workspace_id = $2 AND i.assignee_id IS NULL
        AND t.id = i.owner_team_id AND t.default_assignee_id IS NOT NULL
      RETURNING i.id, u.id AS user_id, u.username, t.name AS team`,
    [issueIds, workspaceId],
  )
  const events: IssueEventInput[] = rows.map((r) => ({
    issue_id: r.id,
    workspace_id: workspaceId,
    type: 'assigned',
    detail: {
      from: null,
      to: { id: r.user_id, username: r.username },
      reason: `the default assignee of team ${r.team}`,
    },
  }))
  await insertIssueEvents(tx, events, SYNC_ACTOR, { at: now })
  return rows.length
}

/** Issues without a context yet (imported before ownership existed), in chunks. */
export const issuesWithoutOwnerContext = async (tx: Queryable, workspaceId: string, limit: number) =>
  (
    await tx.query<{ id: number }>(
      `SELECT id FROM issues WHERE workspace_id = $1 AND owner_context_id IS NULL ORDER BY id LIMIT $2`,
      [workspaceId, limit],
    )
  ).rows.map((r) => r.id)

/** Contexts no issue points at any more. */
export const pruneOwnerContexts = async (tx: Queryable, workspaceId: string): Promise<number> =>
  (
    await tx.query(
      `DELETE FROM owner_contexts c WHERE c.workspace_id = $1
          AND NOT EXISTS (SELECT 1 FROM issues i WHERE i.owner_context_id = c.id)`,
      [workspaceId],
    )
  ).rowCount

// ------------------------------------------------------------------ preview

export interface OwnershipMove {
  fromTeamId: string | null
  fromApplicationId: string | null
  toTeamId: string | null
  toApplicationId: string | null
  issues: number
  openIssues: number
}

export interface OwnershipPreview {
  issues: number
  openIssues: number
  moves: OwnershipMove[]
  /** a few of the issues that would move (highest priority first), with their new reason */
  sample: { id: number; cve: string; target_name: string; reason: string; to_team_id: string | null }[]
}

/**
 * What resolving with other rules would change, without changing anything: the issues that would get another team
 * or application, grouped by from → to. Reads every context once and counts only the issues of those that move.
 */
export const previewOwnership = async (
  db: Queryable,
  workspaceId: string,
  rules: OwnershipRuleInput[],
): Promise<OwnershipPreview> => {
  const world = createOwnershipWorld({ ...(await loadOwnershipWorldInput(db, workspaceId)), rules })
  const moved = new Map<
    number,
    { from: [string | null, string | null]; to: [string | null, string | null]; reason: string }
  >()
  let after = 0
  for (;;) {
    const { rows } = await db.query<ContextRow>(
      `SELECT ${CONTEXT_COLUMNS} FROM owner_contexts c LEFT JOIN repositories r ON r.id = c.repository_id
        WHERE c.workspace_id = $1 AND c.id > $2 ORDER BY c.id LIMIT 20000`,
      [workspaceId, after],
    )
    if (rows.length === 0) break
    after = rows.at(-1)!.id
    for (const c of rows) {
      const a = world.resolve(subjectOf(c))
      const to: [string | null, string | null] = [a.team?.id ?? null, a.application?.id ?? null]
      if (to[0] !== c.team_id || to[1] !== c.application_id)
        moved.set(c.id, { from: [c.team_id, c.application_id], to, reason: a.reason })
    }
  }
  const out: OwnershipPreview = { issues: 0, openIssues: 0, moves: [], sample: [] }
  if (moved.size === 0) return out
  const ids = [...moved.keys()]
  const { rows: counts } = await db.query<{ context: number; n: number; open: number }>(
    `SELECT owner_context_id AS context, count(*)::int AS n, count(*) FILTER (WHERE status = 'open')::int AS open
       FROM issues WHERE owner_context_id = ANY($1::bigint[]) GROUP BY 1`,
    [ids],
  )
  const groups = new Map<string, OwnershipMove>()
  for (const c of counts) {
    const m = moved.get(c.context)!
    const key = JSON.stringify([m.from, m.to])
    const g = groups.get(key) ?? {
      fromTeamId: m.from[0],
      fromApplicationId: m.from[1],
      toTeamId: m.to[0],
      toApplicationId: m.to[1],
      issues: 0,
      openIssues: 0,
    }
    g.issues += c.n
    g.openIssues += c.open
    groups.set(key, g)
    out.issues += c.n
    out.openIssues += c.open
  }
  out.moves = [...groups.values()].sort((a, b) => b.issues - a.issues)
  const { rows: sample } = await db.query<{ id: number; cve: string; target_name: string; context: number }>(
    `SELECT id, cve, target_name, owner_context_id AS context FROM issues WHERE owner_context_id = ANY($1::bigint[])
      ORDER BY (status = 'open') DESC, priority_rank DESC, id DESC LIMIT 5`,
    [ids],
  )
  out.sample = sample.map((x) => ({
    id: x.id,
    cve: x.cve,
    target_name: x.target_name,
    reason: moved.get(x.context)!.reason,
    to_team_id: moved.get(x.context)!.to[0],
  }))
  return out
}
