import { createHash } from 'node:crypto'
import { type CodeownersDialect, type CodeownersRead, parseCodeowners } from '@vulnsync/core'
import type { Queryable } from './driver.ts'
import { InputError } from './errors.ts'
import type { RuleRow } from './ownership-store.ts'

/**
 * Teams, applications, ownership rules and the repositories' CODEOWNERS: what people edit (and SCM syncs bring),
 * and the counts the Teams and Applications pages show. Who owns each issue is the ownership store's.
 */

// ------------------------------------------------------------------ teams

export interface TeamRow {
  id: string
  name: string
  slug: string
  default_assignee_id: string | null
  default_assignee_name: string | null
  members: { id: string; username: string }[]
  created_at: Date
  updated_at: Date
}

const TEAM_COLUMNS = `t.id, t.name, t.slug, t.default_assignee_id, t.created_at, t.updated_at,
  (SELECT u.username FROM users u WHERE u.id = t.default_assignee_id) AS default_assignee_name,
  COALESCE((SELECT json_agg(json_build_object('id', u.id, 'username', u.username) ORDER BY lower(u.username))
              FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = t.id), '[]') AS members`

export const listTeams = async (db: Queryable, workspaceId: string): Promise<TeamRow[]> =>
  (
    await db.query<TeamRow>(`SELECT ${TEAM_COLUMNS} FROM teams t WHERE t.workspace_id = $1 ORDER BY lower(t.name)`, [
      workspaceId,
    ])
  ).rows

export const getTeam = async (db: Queryable, workspaceId: string, id: string): Promise<TeamRow | null> =>
  (
    await db.query<TeamRow>(`SELECT ${TEAM_COLUMNS} FROM teams t WHERE t.workspace_id = $1 AND t.id = $2`, [
      workspaceId,
      id,
    ])
  ).rows[0] ?? null

/** Refuses a name or slug another team of the workspace has (409, naming the field). */
const assertTeamUnique = async (db: Queryable, workspaceId: string, name: string, slug: string, except?: string) => {
  const { rows } = await db.query<{ name: string; slug: string; same_name: boolean }>(
    `SELECT name, slug, lower(name) = lower($2) AS same_name FROM teams
      WHERE workspace_id = $1 AND (lower(name) = lower($2) OR lower(slug) = lower($3)) AND ($4::uuid IS NULL OR id <> $4)`,
    [workspaceId, name, slug, except ?? null],
  )
  const clash = rows[0]
  if (clash)
    throw new InputError(
      'conflict',
      clash.same_name
        ? `name: a team named ${JSON.stringify(clash.name)} exists already`
        : `slug: team ${JSON.stringify(clash.name)} has the slug ${JSON.stringify(clash.slug)} already`,
      clash.same_name ? 'choose another name' : 'choose another slug (what @org/<slug> in CODEOWNERS names)',
      409,
    )
}

/** The users of the workspace among `ids`; an unknown or disabled one is refused, naming the field. */
export const assertUsers = async (db: Queryable, workspaceId: string, ids: string[], field: string) => {
  if (ids.length === 0) return
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM users WHERE workspace_id = $1 AND id = ANY($2::uuid[]) AND disabled_at IS NULL`,
    [workspaceId, ids],
  )
  const known = new Set(rows.map((r) => r.id))
  const missing = ids.find((id) => !known.has(id))
  if (missing)
    throw new InputError(
      'invalid_request',
      `${field}: user ${missing} does not exist or is disabled`,
      'pick users from GET /api/v1/users',
      422,
    )
}

export interface TeamWrite {
  name: string
  slug: string
  defaultAssigneeId: string | null
  memberIds?: string[] | undefined
}

export const insertTeam = async (db: Queryable, workspaceId: string, t: TeamWrite): Promise<string> => {
  await assertTeamUnique(db, workspaceId, t.name, t.slug)
  await assertUsers(db, workspaceId, t.defaultAssigneeId ? [t.defaultAssigneeId] : [], 'defaultAssigneeId')
  await assertUsers(db, workspaceId, t.memberIds ?? [], 'memberIds')
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO teams (workspace_id, name, slug, default_assignee_id) VALUES ($1, $2, $3, $4) RETURNING id`,
    [workspaceId, t.name, t.slug, t.defaultAssigneeId],
  )
  const id = rows[0]!.id
  await setTeamMembers(db, id, t.memberIds ?? [])
  return id
}

export const updateTeam = async (db: Queryable, workspaceId: string, id: string, t: TeamWrite): Promise<void> => {
  await assertTeamUnique(db, workspaceId, t.name, t.slug, id)
  await assertUsers(db, workspaceId, t.defaultAssigneeId ? [t.defaultAssigneeId] : [], 'defaultAssigneeId')
  if (t.memberIds) await assertUsers(db, workspaceId, t.memberIds, 'memberIds')
  await db.query(
    `UPDATE teams SET name = $3, slug = $4, default_assignee_id = $5, updated_at = now() WHERE workspace_id = $1 AND id = $2`,
    [workspaceId, id, t.name, t.slug, t.defaultAssigneeId],
  )
  if (t.memberIds) await setTeamMembers(db, id, t.memberIds)
}

const setTeamMembers = async (db: Queryable, teamId: string, userIds: string[]) => {
  await db.query(`DELETE FROM team_members WHERE team_id = $1 AND NOT (user_id = ANY($2::uuid[]))`, [teamId, userIds])
  await db.query(`INSERT INTO team_members (team_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [
    teamId,
    [...new Set(userIds)],
  ])
}

/** Deletes a team no rule names (409 naming the rules otherwise); its repositories lose their default team. */
export const deleteTeam = async (db: Queryable, workspaceId: string, id: string): Promise<void> => {
  const { rows } = await db.query<{ position: number }>(
    `SELECT position FROM ownership_rules WHERE workspace_id = $1 AND team_id = $2 ORDER BY position`,
    [workspaceId, id],
  )
  if (rows.length > 0)
    throw new InputError(
      'conflict',
      `ownership rule${rows.length > 1 ? 's' : ''} ${rows.map((r) => r.position).join(', ')} name${rows.length > 1 ? '' : 's'} this team`,
      'change or delete those rules first (PATCH|DELETE /api/v1/ownership-rules/{id})',
      409,
    )
  await db.query(`DELETE FROM teams WHERE workspace_id = $1 AND id = $2`, [workspaceId, id])
}

/** Makes the team the default team of exactly these repositories (others it was the default of lose it). */
export const setTeamRepositories = async (
  db: Queryable,
  workspaceId: string,
  teamId: string,
  repositoryIds: string[],
) => {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id::text FROM repositories WHERE workspace_id = $1 AND id = ANY($2::bigint[])`,
    [workspaceId, repositoryIds],
  )
  const known = new Set(rows.map((r) => r.id))
  const missing = repositoryIds.find((r) => !known.has(r))
  if (missing)
    throw new InputError(
      'invalid_request',
      `repositoryIds: repository ${missing} does not exist`,
      'pick repositories from GET /api/v1/repositories',
      422,
    )
  await db.query(
    `UPDATE repositories SET default_team_id = NULL
      WHERE workspace_id = $1 AND default_team_id = $2 AND NOT (id = ANY($3::bigint[]))`,
    [workspaceId, teamId, repositoryIds],
  )
  await db.query(`UPDATE repositories SET default_team_id = $2 WHERE workspace_id = $1 AND id = ANY($3::bigint[])`, [
    workspaceId,
    teamId,
    repositoryIds,
  ])
}

export const setRepositoryDefaultTeam = async (
  db: Queryable,
  workspaceId: string,
  repositoryId: string,
  teamId: string | null,
) => {
  await db.query(`UPDATE repositories SET default_team_id = $3 WHERE workspace_id = $1 AND id = $2`, [
    workspaceId,
    repositoryId,
    teamId,
  ])
}

export const assertTeam = async (db: Queryable, workspaceId: string, id: string, field: string) => {
  const { rows } = await db.query(`SELECT 1 FROM teams WHERE workspace_id = $1 AND id = $2`, [workspaceId, id])
  if (rows.length === 0)
    throw new InputError(
      'invalid_request',
      `${field}: team ${id} does not exist`,
      'pick one from GET /api/v1/teams',
      422,
    )
}

/** Every id is a team of the workspace; the first that is not is refused (422), naming the field. */
export const assertTeams = async (db: Queryable, workspaceId: string, ids: string[], field: string) => {
  if (ids.length === 0) return
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM teams WHERE workspace_id = $1 AND id = ANY($2::uuid[])`,
    [workspaceId, ids],
  )
  const known = new Set(rows.map((r) => r.id))
  const missing = ids.find((id) => !known.has(id))
  if (missing)
    throw new InputError(
      'invalid_request',
      `${field}: team ${missing} does not exist`,
      'pick teams from GET /api/v1/teams (the Teams page), or leave the list empty for every team',
      422,
    )
}

// ------------------------------------------------------------------ counts for the Teams and Applications pages

export interface OwnedCounts {
  /** open issues by priority */
  byPriority: Record<string, number>
  open: number
  slaBreaches: number
}

/** Open issues by priority and SLA breaches, per team (`owner_team_id`) or per application, in one pass. */
export const ownedCounts = async (
  db: Queryable,
  workspaceId: string,
  by: 'team' | 'application',
  now: Date,
  id?: string,
): Promise<Map<string, OwnedCounts>> => {
  const col = by === 'team' ? 'i.owner_team_id' : 'i.application_id'
  const { rows } = await db.query<{ owner: string; priority: string; n: number; breached: number }>(
    `SELECT ${col} AS owner, i.priority, count(*)::int AS n,
            count(*) FILTER (WHERE i.sla_due_at < $2)::int AS breached
       FROM issues i
      WHERE i.workspace_id = $1 AND i.status = 'open' AND ${col} IS NOT NULL AND ($3::uuid IS NULL OR ${col} = $3)
      GROUP BY 1, 2`,
    [workspaceId, now, id ?? null],
  )
  const out = new Map<string, OwnedCounts>()
  for (const r of rows) {
    const c = out.get(r.owner) ?? { byPriority: {}, open: 0, slaBreaches: 0 }
    c.byPriority[r.priority] = r.n
    c.open += r.n
    c.slaBreaches += r.breached
    out.set(r.owner, c)
  }
  return out
}

export interface OwnedRepositoryRow {
  owner: string
  id: number
  full_name: string
  open_issues: number
  /** the team is the repository's default team / the application lists it */
  listed: boolean
}

/**
 * The repositories of each team (those it is the default team of, and those it owns open issues in) or of each
 * application (those it lists, and those its issues are in), with their open issues, at most `perOwner` each.
 */
export const ownedRepositories = async (
  db: Queryable,
  workspaceId: string,
  by: 'team' | 'application',
  perOwner: number,
  id?: string,
): Promise<Map<string, OwnedRepositoryRow[]>> => {
  const col = by === 'team' ? 'i.owner_team_id' : 'i.application_id'
  const listed =
    by === 'team'
      ? `SELECT r.default_team_id AS owner, r.id FROM repositories r
          WHERE r.workspace_id = $1 AND r.default_team_id IS NOT NULL AND ($3::uuid IS NULL OR r.default_team_id = $3)`
      : `SELECT t.application_id AS owner, substr(t.target_key, 6)::bigint AS id
           FROM application_targets t JOIN applications a ON a.id = t.application_id
          WHERE a.workspace_id = $1 AND t.target_key LIKE 'repo:%' AND ($3::uuid IS NULL OR a.id = $3)`
  const { rows } = await db.query<OwnedRepositoryRow>(
    `WITH owned AS (
       SELECT ${col} AS owner, i.repository_id AS id, count(*)::int AS n FROM issues i
        WHERE i.workspace_id = $1 AND i.status = 'open' AND ${col} IS NOT NULL AND i.repository_id IS NOT NULL
          AND ($3::uuid IS NULL OR ${col} = $3)
        GROUP BY 1, 2),
     listed AS (${listed}),
     ranked AS (
       SELECT COALESCE(o.owner, l.owner) AS owner, COALESCE(o.id, l.id) AS id, COALESCE(o.n, 0) AS open_issues,
              l.id IS NOT NULL AS listed,
              row_number() OVER (PARTITION BY COALESCE(o.owner, l.owner)
                                 ORDER BY l.id IS NOT NULL DESC, COALESCE(o.n, 0) DESC, COALESCE(o.id, l.id)) AS k
         FROM owned o FULL JOIN listed l ON l.owner = o.owner AND l.id = o.id)
     SELECT x.owner, x.id, r.full_name, x.open_issues, x.listed FROM ranked x JOIN repositories r ON r.id = x.id
      WHERE x.k <= $2 ORDER BY x.owner, x.k`,
    [workspaceId, perOwner, id ?? null],
  )
  const out = new Map<string, OwnedRepositoryRow[]>()
  for (const r of rows) out.set(r.owner, [...(out.get(r.owner) ?? []), r])
  return out
}

export const countRulesNaming = async (db: Queryable, workspaceId: string, by: 'team' | 'application') => {
  const col = by === 'team' ? 'team_id' : 'application_id'
  const { rows } = await db.query<{ id: string; n: number }>(
    `SELECT ${col} AS id, count(*)::int AS n FROM ownership_rules WHERE workspace_id = $1 AND ${col} IS NOT NULL GROUP BY 1`,
    [workspaceId],
  )
  return new Map(rows.map((r) => [r.id, r.n]))
}

// ------------------------------------------------------------------ applications

export interface ApplicationRow {
  id: string
  name: string
  business_priority: number | null
  origin: 'user' | 'scanner'
  connection_id: string | null
  connection_name: string | null
  connection_kind: string | null
  external_key: string | null
  source_label: string | null
  images: string[]
  created_at: Date
  updated_at: Date
}

const APP_COLUMNS = `a.id, a.name, a.business_priority, a.origin, a.connection_id, c.name AS connection_name,
  c.kind AS connection_kind, a.external_key, a.source_label, a.created_at, a.updated_at,
  COALESCE((SELECT array_agg(substr(t.target_key, 7) ORDER BY t.target_key) FROM application_targets t
             WHERE t.application_id = a.id AND t.target_key LIKE 'image:%'), '{}') AS images`

export const listApplications = async (db: Queryable, workspaceId: string): Promise<ApplicationRow[]> =>
  (
    await db.query<ApplicationRow>(
      `SELECT ${APP_COLUMNS} FROM applications a LEFT JOIN connections c ON c.id = a.connection_id
        WHERE a.workspace_id = $1 ORDER BY a.business_priority DESC NULLS LAST, lower(a.name), a.id`,
      [workspaceId],
    )
  ).rows

export const getApplication = async (db: Queryable, workspaceId: string, id: string): Promise<ApplicationRow | null> =>
  (
    await db.query<ApplicationRow>(
      `SELECT ${APP_COLUMNS} FROM applications a LEFT JOIN connections c ON c.id = a.connection_id
        WHERE a.workspace_id = $1 AND a.id = $2`,
      [workspaceId, id],
    )
  ).rows[0] ?? null

export const assertApplication = async (db: Queryable, workspaceId: string, id: string, field: string) => {
  const { rows } = await db.query(`SELECT 1 FROM applications WHERE workspace_id = $1 AND id = $2`, [workspaceId, id])
  if (rows.length === 0)
    throw new InputError(
      'invalid_request',
      `${field}: application ${id} does not exist`,
      'pick one from GET /api/v1/applications',
      422,
    )
}

const assertAppNameFree = async (db: Queryable, workspaceId: string, name: string, except?: string) => {
  const { rows } = await db.query(
    `SELECT 1 FROM applications WHERE workspace_id = $1 AND origin = 'user' AND lower(name) = lower($2)
        AND ($3::uuid IS NULL OR (id <> $3 AND (SELECT origin FROM applications WHERE id = $3) = 'user'))`,
    [workspaceId, name, except ?? null],
  )
  if (rows.length > 0)
    throw new InputError(
      'conflict',
      `name: an application named ${JSON.stringify(name)} exists already`,
      undefined,
      409,
    )
}

export interface ApplicationWrite {
  name: string
  businessPriority: number | null
  repositoryIds?: string[] | undefined
  images?: string[] | undefined
}

export const insertApplication = async (db: Queryable, workspaceId: string, a: ApplicationWrite): Promise<string> => {
  await assertAppNameFree(db, workspaceId, a.name)
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO applications (workspace_id, name, business_priority, origin) VALUES ($1, $2, $3, 'user') RETURNING id`,
    [workspaceId, a.name, a.businessPriority],
  )
  const id = rows[0]!.id
  await setApplicationTargets(db, workspaceId, id, a.repositoryIds ?? [], a.images ?? [])
  return id
}

export const updateApplication = async (
  db: Queryable,
  workspaceId: string,
  id: string,
  a: Partial<ApplicationWrite> & { name: string; businessPriority: number | null },
) => {
  await assertAppNameFree(db, workspaceId, a.name, id)
  await db.query(
    `UPDATE applications SET name = $3, business_priority = $4, updated_at = now() WHERE workspace_id = $1 AND id = $2`,
    [workspaceId, id, a.name, a.businessPriority],
  )
  if (a.repositoryIds || a.images) {
    const current = await applicationTargets(db, id)
    await setApplicationTargets(
      db,
      workspaceId,
      id,
      a.repositoryIds ?? current.repositoryIds,
      a.images ?? current.images,
    )
  }
}

const applicationTargets = async (db: Queryable, id: string) => {
  const { rows } = await db.query<{ target_key: string }>(
    `SELECT target_key FROM application_targets WHERE application_id = $1`,
    [id],
  )
  return {
    repositoryIds: rows.filter((r) => r.target_key.startsWith('repo:')).map((r) => r.target_key.slice(5)),
    images: rows.filter((r) => r.target_key.startsWith('image:')).map((r) => r.target_key.slice(6)),
  }
}

/** The repositories (by id) and images (by name, without tag) an application groups. */
export const setApplicationTargets = async (
  db: Queryable,
  workspaceId: string,
  id: string,
  repositoryIds: string[],
  images: string[],
) => {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id::text FROM repositories WHERE workspace_id = $1 AND id = ANY($2::bigint[])`,
    [workspaceId, repositoryIds],
  )
  const known = new Set(rows.map((r) => r.id))
  const missing = repositoryIds.find((r) => !known.has(r))
  if (missing)
    throw new InputError(
      'invalid_request',
      `repositoryIds: repository ${missing} does not exist`,
      'pick repositories from GET /api/v1/repositories',
      422,
    )
  const keys = [
    ...new Set([...repositoryIds.map((r) => `repo:${r}`), ...images.map((i) => `image:${i.toLowerCase()}`)]),
  ]
  await db.query(`DELETE FROM application_targets WHERE application_id = $1 AND NOT (target_key = ANY($2::text[]))`, [
    id,
    keys,
  ])
  await db.query(
    `INSERT INTO application_targets (application_id, target_key) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
    [id, keys],
  )
}

export const deleteApplication = async (db: Queryable, workspaceId: string, id: string) => {
  const { rows } = await db.query<{ position: number }>(
    `SELECT position FROM ownership_rules WHERE workspace_id = $1 AND application_id = $2 ORDER BY position`,
    [workspaceId, id],
  )
  if (rows.length > 0)
    throw new InputError(
      'conflict',
      `ownership rule${rows.length > 1 ? 's' : ''} ${rows.map((r) => r.position).join(', ')} name${rows.length > 1 ? '' : 's'} this application`,
      'change or delete those rules first (PATCH|DELETE /api/v1/ownership-rules/{id})',
      409,
    )
  await db.query(`DELETE FROM applications WHERE workspace_id = $1 AND id = $2`, [workspaceId, id])
}

// ------------------------------------------------------------------ ownership rules

export interface RuleListRow extends RuleRow {
  team_name: string | null
  application_name: string | null
  created_by: string | null
  created_at: Date
  updated_at: Date
}

export const listRules = async (db: Queryable, workspaceId: string): Promise<RuleListRow[]> =>
  (
    await db.query<RuleListRow>(
      `SELECT r.id, r.position, r.match_repository, r.match_image, r.match_path, r.team_id, r.application_id,
              t.name AS team_name, a.name AS application_name, r.created_by, r.created_at, r.updated_at
         FROM ownership_rules r LEFT JOIN teams t ON t.id = r.team_id LEFT JOIN applications a ON a.id = r.application_id
        WHERE r.workspace_id = $1 ORDER BY r.position, r.created_at`,
      [workspaceId],
    )
  ).rows

export const getRule = async (db: Queryable, workspaceId: string, id: string) =>
  (await listRules(db, workspaceId)).find((r) => r.id === id) ?? null

export interface RuleWrite {
  match: { repository: string | null; image: string | null; path: string | null }
  teamId: string | null
  applicationId: string | null
}

/** Positions stay 1..n: a rule put at `position` pushes the ones from there down. */
const makeRoom = async (db: Queryable, workspaceId: string, position: number) => {
  await db.query(`UPDATE ownership_rules SET position = position + 1 WHERE workspace_id = $1 AND position >= $2`, [
    workspaceId,
    position,
  ])
}

const closeGaps = async (db: Queryable, workspaceId: string) => {
  await db.query(
    `UPDATE ownership_rules r SET position = x.k
       FROM (SELECT id, row_number() OVER (ORDER BY position, created_at)::int AS k FROM ownership_rules WHERE workspace_id = $1) x
      WHERE r.id = x.id AND r.position <> x.k`,
    [workspaceId],
  )
}

const lastPosition = async (db: Queryable, workspaceId: string) =>
  (
    await db.query<{ n: number }>(
      `SELECT COALESCE(max(position), 0)::int AS n FROM ownership_rules WHERE workspace_id = $1`,
      [workspaceId],
    )
  ).rows[0]!.n

export const insertRule = async (
  db: Queryable,
  workspaceId: string,
  r: RuleWrite & { position?: number | undefined; createdBy: string },
): Promise<string> => {
  const last = await lastPosition(db, workspaceId)
  const position = Math.min(r.position ?? last + 1, last + 1)
  await makeRoom(db, workspaceId, position)
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO ownership_rules (workspace_id, position, match_repository, match_image, match_path, team_id,
            application_id, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [workspaceId, position, r.match.repository, r.match.image, r.match.path, r.teamId, r.applicationId, r.createdBy],
  )
  return rows[0]!.id
}

export const updateRule = async (
  db: Queryable,
  workspaceId: string,
  id: string,
  r: RuleWrite & { position?: number | undefined },
) => {
  if (r.position !== undefined) {
    // take it out, then put it back where asked
    await db.query(`UPDATE ownership_rules SET position = 2147483647 WHERE workspace_id = $1 AND id = $2`, [
      workspaceId,
      id,
    ])
    await closeGaps(db, workspaceId)
    const last = await lastPosition(db, workspaceId)
    const position = Math.min(r.position, last)
    await db.query(
      `UPDATE ownership_rules SET position = position + 1 WHERE workspace_id = $1 AND position >= $2 AND id <> $3`,
      [workspaceId, position, id],
    )
    await db.query(`UPDATE ownership_rules SET position = $3 WHERE workspace_id = $1 AND id = $2`, [
      workspaceId,
      id,
      position,
    ])
  }
  await db.query(
    `UPDATE ownership_rules SET match_repository = $3, match_image = $4, match_path = $5, team_id = $6,
            application_id = $7, updated_at = now()
      WHERE workspace_id = $1 AND id = $2`,
    [workspaceId, id, r.match.repository, r.match.image, r.match.path, r.teamId, r.applicationId],
  )
}

export const deleteRule = async (db: Queryable, workspaceId: string, id: string) => {
  await db.query(`DELETE FROM ownership_rules WHERE workspace_id = $1 AND id = $2`, [workspaceId, id])
  await closeGaps(db, workspaceId)
}

// ------------------------------------------------------------------ CODEOWNERS of repositories

export interface CodeownersWrite {
  externalId: string
  codeowners: CodeownersRead | null
}

/**
 * Stores the CODEOWNERS files an SCM sync read (parsed once here, so a bad line is reported on the repository and
 * never fails the sync); a repository whose file is gone loses it. Returns the repositories whose file changed.
 */
export const saveCodeowners = async (
  db: Queryable,
  a: { workspaceId: string; connectionId: string; now: Date; rows: CodeownersWrite[] },
): Promise<number[]> => {
  if (a.rows.length === 0) return []
  // the last read of a repository wins when a batch holds it twice
  const latest = [...new Map(a.rows.map((r) => [r.externalId, r])).values()]
  const files = latest.map((r) => {
    const c = r.codeowners
    if (!c) return { external_id: r.externalId, present: false }
    const parsed = parseCodeowners(c.content, c.dialect as CodeownersDialect)
    return {
      external_id: r.externalId,
      present: true,
      path: c.path,
      dialect: c.dialect,
      content: c.content,
      hash: createHash('sha1').update(`${c.path}\u0000${c.dialect}\u0000${c.content}`).digest('base64'),
      errors: parsed.errors,
    }
  })
  const { rows: gone } = await db.query<{ repository_id: number }>(
    `DELETE FROM repository_codeowners c USING repositories r, jsonb_to_recordset($3::jsonb) AS x(external_id text, present boolean)
      WHERE r.id = c.repository_id AND r.workspace_id = $1 AND r.connection_id = $2 AND r.external_id = x.external_id
        AND NOT x.present
      RETURNING c.repository_id`,
    [a.workspaceId, a.connectionId, JSON.stringify(files)],
  )
  const { rows: changed } = await db.query<{ repository_id: number; changed: boolean }>(
    `INSERT INTO repository_codeowners AS c (repository_id, path, dialect, content, content_hash, errors, read_at, changed_at)
     SELECT r.id, x.path, x.dialect, x.content, x.hash, x.errors, $3, $3
       FROM jsonb_to_recordset($4::jsonb) AS x(external_id text, present boolean, path text, dialect text, content text,
            hash text, errors jsonb)
       JOIN repositories r ON r.workspace_id = $1 AND r.connection_id = $2 AND r.external_id = x.external_id
      WHERE x.present
     ON CONFLICT (repository_id) DO UPDATE SET path = excluded.path, dialect = excluded.dialect, content = excluded.content,
            content_hash = excluded.content_hash, errors = excluded.errors, read_at = excluded.read_at,
            changed_at = CASE WHEN c.content_hash = excluded.content_hash THEN c.changed_at ELSE excluded.changed_at END
     RETURNING c.repository_id, c.changed_at = $3 AS changed`,
    [a.workspaceId, a.connectionId, a.now, JSON.stringify(files.filter((f) => f.present))],
  )
  return [...gone.map((g) => g.repository_id), ...changed.filter((c) => c.changed).map((c) => c.repository_id)]
}

export interface RepositoryOwnershipRow {
  id: number
  full_name: string
  default_team_id: string | null
  default_team_name: string | null
  path: string | null
  dialect: string | null
  content: string | null
  errors: { line: number; text: string; message: string }[] | null
  read_at: Date | null
  changed_at: Date | null
}

export const getRepositoryOwnership = async (
  db: Queryable,
  workspaceId: string,
  id: string,
): Promise<RepositoryOwnershipRow | null> =>
  (
    await db.query<RepositoryOwnershipRow>(
      `SELECT r.id, r.full_name, r.default_team_id, t.name AS default_team_name, c.path, c.dialect, c.content, c.errors,
              c.read_at, c.changed_at
         FROM repositories r LEFT JOIN teams t ON t.id = r.default_team_id
         LEFT JOIN repository_codeowners c ON c.repository_id = r.id
        WHERE r.workspace_id = $1 AND r.id = $2`,
      [workspaceId, id],
    )
  ).rows[0] ?? null
