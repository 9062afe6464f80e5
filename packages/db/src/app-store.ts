import type { Queryable } from './driver.ts'

/** Queries of the API layer: workspaces, users, tokens, sessions, connections, audit. Set-based, no vendor logic. */

export type Role = 'admin' | 'member' | 'viewer'

export interface ConnectionRow {
  id: string
  workspace_id: string
  kind: string
  name: string
  config: Record<string, unknown>
  secrets_enc: string
  locations: string[] | null
  schedule_cron: string
  next_sync_at: Date | null
  status: string
  created_at: Date
  updated_at: Date
  deleted_at: Date | null
}

export interface UserRow {
  id: string
  workspace_id: string
  username: string
  password_hash: string | null
  role: Role
  created_at: Date
  disabled_at: Date | null
}

export interface Principal {
  workspaceId: string
  /** the effective role: never more than the credential it came from, nor than its user's current role */
  role: Role
  userId: string | null
  username: string | null
  via: 'token' | 'session'
  tokenId?: string
  /** the session's id hash, for "end every other session" */
  sessionHash?: string
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2 }

/** The lesser of several roles (null/undefined entries are ignored): a credential never exceeds any of them. */
export const leastRole = (...roles: (Role | null | undefined)[]): Role => {
  let out: Role | undefined
  for (const r of roles) if (r && (out === undefined || ROLE_RANK[r] < ROLE_RANK[out])) out = r
  if (!out) throw new Error('leastRole needs at least one role')
  return out
}

export const roleAtLeast = (role: Role, needed: Role): boolean => ROLE_RANK[role] >= ROLE_RANK[needed]

export const ensureWorkspace = async (db: Queryable, name = 'default'): Promise<string> => {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM workspaces ORDER BY created_at LIMIT 1`)
  if (rows[0]) return rows[0].id
  const ins = await db.query<{ id: string }>(`INSERT INTO workspaces (name) VALUES ($1) RETURNING id`, [name])
  return ins.rows[0]!.id
}

export const countAdminTokens = async (db: Queryable, workspaceId: string): Promise<number> => {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM api_tokens WHERE workspace_id = $1 AND role = 'admin' AND revoked_at IS NULL`,
    [workspaceId],
  )
  return rows[0]!.n
}

/**
 * A live API token by its hash, with its effective role: the token's own role, lowered to its owner's current role
 * (a demoted user's tokens are demoted at once; a disabled user's tokens stop working). Expired tokens are not found.
 */
export const findTokenByHash = async (db: Queryable, hash: string) => {
  const { rows } = await db.query<{
    id: string
    workspace_id: string
    token_role: Role
    user_role: Role | null
    user_id: string | null
    username: string | null
    expires_at: Date | null
  }>(
    `SELECT t.id, t.workspace_id, t.role AS token_role, u.role AS user_role, t.user_id, u.username, t.expires_at
       FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
        AND (u.id IS NULL OR u.disabled_at IS NULL) AND (t.user_id IS NULL OR u.id IS NOT NULL)`,
    [hash],
  )
  const t = rows[0]
  return t ? { ...t, role: leastRole(t.token_role, t.user_role) } : null
}

export const touchToken = (db: Queryable, id: string) =>
  db.query(`UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, [id])

export const insertToken = async (
  db: Queryable,
  t: {
    workspaceId: string
    userId: string | null
    name: string
    hash: string
    prefix: string
    role: Role
    expiresAt?: Date | null
  },
) => {
  const { rows } = await db.query<{ id: string; created_at: Date }>(
    `INSERT INTO api_tokens (workspace_id, user_id, name, token_hash, prefix, role, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
     RETURNING id, created_at`,
    [t.workspaceId, t.userId, t.name, t.hash, t.prefix, t.role, t.expiresAt ?? null],
  )
  return rows[0]!
}

export const listTokens = async (db: Queryable, workspaceId: string) =>
  (
    await db.query(
      `SELECT id, name, prefix, role, user_id, created_at, last_used_at, expires_at FROM api_tokens
        WHERE workspace_id = $1 AND revoked_at IS NULL ORDER BY created_at`,
      [workspaceId],
    )
  ).rows

export const revokeToken = async (db: Queryable, workspaceId: string, id: string) =>
  (
    await db.query(
      `UPDATE api_tokens SET revoked_at = now() WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL`,
      [workspaceId, id],
    )
  ).rowCount

// ------------------------------------------------------------------ users and sessions

export const findUserByName = async (db: Queryable, workspaceId: string, username: string): Promise<UserRow | null> =>
  (
    await db.query<UserRow>(`SELECT * FROM users WHERE workspace_id = $1 AND lower(username) = lower($2)`, [
      workspaceId,
      username,
    ])
  ).rows[0] ?? null

export const getUser = async (db: Queryable, workspaceId: string, id: string): Promise<UserRow | null> =>
  (await db.query<UserRow>(`SELECT * FROM users WHERE workspace_id = $1 AND id = $2`, [workspaceId, id])).rows[0] ??
  null

export const listUsers = async (db: Queryable, workspaceId: string): Promise<UserRow[]> =>
  (
    await db.query<UserRow>(
      `SELECT * FROM users WHERE workspace_id = $1 AND disabled_at IS NULL ORDER BY lower(username)`,
      [workspaceId],
    )
  ).rows

export const insertUser = async (
  db: Queryable,
  u: { workspaceId: string; username: string; passwordHash: string | null; role: Role },
) =>
  (
    await db.query<UserRow>(
      `INSERT INTO users (workspace_id, username, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING *`,
      [u.workspaceId, u.username, u.passwordHash, u.role],
    )
  ).rows[0]!

export const updateUser = async (
  db: Queryable,
  workspaceId: string,
  id: string,
  p: { role?: Role; passwordHash?: string },
) =>
  (
    await db.query<UserRow>(
      `UPDATE users SET role = COALESCE($3, role), password_hash = COALESCE($4, password_hash), updated_at = now()
        WHERE workspace_id = $1 AND id = $2 AND disabled_at IS NULL RETURNING *`,
      [workspaceId, id, p.role ?? null, p.passwordHash ?? null],
    )
  ).rows[0] ?? null

export const disableUser = async (db: Queryable, workspaceId: string, id: string) => {
  const r = await db.query(
    `UPDATE users SET disabled_at = now() WHERE workspace_id = $1 AND id = $2 AND disabled_at IS NULL`,
    [workspaceId, id],
  )
  await deleteUserSessions(db, id)
  await db.query(`UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [id])
  return r.rowCount
}

export const countAdmins = async (db: Queryable, workspaceId: string) =>
  (
    await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM users WHERE workspace_id = $1 AND role = 'admin' AND disabled_at IS NULL`,
      [workspaceId],
    )
  ).rows[0]!.n

/** A session; one opened with an API token is capped at that token's role and ends with it. */
export const insertSession = async (
  db: Queryable,
  s: { hash: string; userId: string; expiresAt: Date; tokenId?: string | null; maxRole?: Role | null },
) =>
  db.query(`INSERT INTO sessions (token_hash, user_id, expires_at, token_id, max_role) VALUES ($1, $2, $3, $4, $5)`, [
    s.hash,
    s.userId,
    s.expiresAt,
    s.tokenId ?? null,
    s.maxRole ?? null,
  ])

/**
 * A live session with its effective role: the user's current role, lowered to the cap of the credential that
 * opened it (and to that token's current role while it lives). A session of a revoked or expired token has ended.
 */
export const findSession = async (db: Queryable, hash: string) => {
  const s = (
    await db.query<{
      user_id: string
      workspace_id: string
      user_role: Role
      max_role: Role | null
      token_role: Role | null
      username: string
    }>(
      `SELECT s.user_id, u.workspace_id, u.role AS user_role, s.max_role, t.role AS token_role, u.username
         FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN api_tokens t ON t.id = s.token_id
        WHERE s.token_hash = $1 AND s.expires_at > now() AND u.disabled_at IS NULL
          AND (s.token_id IS NULL OR (t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())))`,
      [hash],
    )
  ).rows[0]
  return s ? { ...s, role: leastRole(s.user_role, s.max_role, s.token_role) } : null
}

/** Ends every session of a user but the one given (a password change keeps the session that made it). */
export const deleteUserSessions = async (db: Queryable, userId: string, keepHash?: string) =>
  (
    await db.query(`DELETE FROM sessions WHERE user_id = $1 AND ($2::text IS NULL OR token_hash <> $2)`, [
      userId,
      keepHash ?? null,
    ])
  ).rowCount

export const deleteSession = (db: Queryable, hash: string) =>
  db.query(`DELETE FROM sessions WHERE token_hash = $1`, [hash])

// ------------------------------------------------------------------ connections

export const insertConnection = async (
  db: Queryable,
  c: {
    workspaceId: string
    kind: string
    name: string
    config: unknown
    secretsEnc: string
    locations: string[] | null
    scheduleCron: string
    nextSyncAt: Date
  },
): Promise<ConnectionRow> =>
  (
    await db.query<ConnectionRow>(
      `INSERT INTO connections (workspace_id, kind, name, config, secrets_enc, locations, schedule_cron, next_sync_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [
        c.workspaceId,
        c.kind,
        c.name,
        JSON.stringify(c.config),
        c.secretsEnc,
        c.locations ? JSON.stringify(c.locations) : null,
        c.scheduleCron,
        c.nextSyncAt,
      ],
    )
  ).rows[0]!

export const getConnection = async (db: Queryable, workspaceId: string, id: string): Promise<ConnectionRow | null> =>
  (
    await db.query<ConnectionRow>(
      `SELECT * FROM connections WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL`,
      [workspaceId, id],
    )
  ).rows[0] ?? null

export const getConnectionById = async (db: Queryable, id: string): Promise<ConnectionRow | null> =>
  (await db.query<ConnectionRow>(`SELECT * FROM connections WHERE id = $1 AND deleted_at IS NULL`, [id])).rows[0] ??
  null

export const listConnections = async (db: Queryable, workspaceId: string): Promise<ConnectionRow[]> =>
  (
    await db.query<ConnectionRow>(
      `SELECT * FROM connections WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY kind, lower(name)`,
      [workspaceId],
    )
  ).rows

export const updateConnection = async (
  db: Queryable,
  workspaceId: string,
  id: string,
  p: {
    name?: string
    config?: unknown
    secretsEnc?: string
    locations?: string[] | null
    scheduleCron?: string
    nextSyncAt?: Date
    status?: string
  },
): Promise<ConnectionRow | null> =>
  (
    await db.query<ConnectionRow>(
      `UPDATE connections SET name = COALESCE($3, name), config = COALESCE($4::jsonb, config),
              secrets_enc = COALESCE($5, secrets_enc),
              locations = CASE WHEN $6::boolean THEN $7::jsonb ELSE locations END,
              schedule_cron = COALESCE($8, schedule_cron), next_sync_at = COALESCE($9, next_sync_at),
              status = COALESCE($10, status), updated_at = now()
        WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING *`,
      [
        workspaceId,
        id,
        p.name ?? null,
        p.config === undefined ? null : JSON.stringify(p.config),
        p.secretsEnc ?? null,
        p.locations !== undefined,
        p.locations ? JSON.stringify(p.locations) : null,
        p.scheduleCron ?? null,
        p.nextSyncAt ?? null,
        p.status ?? null,
      ],
    )
  ).rows[0] ?? null

/** Disconnect: the connection stops syncing and its secrets are erased; its findings and history stay. */
export const softDeleteConnection = async (db: Queryable, workspaceId: string, id: string) =>
  (
    await db.query(
      // scanner overlap leaves the connection out from now: every day of it counted again (insights-store.ts)
      `WITH d AS (
         UPDATE connections SET deleted_at = now(), secrets_enc = '', name = name || ' (disconnected ' || to_char(now(), 'YYYY-MM-DD HH24:MI:SS') || ')'
          WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING workspace_id)
       INSERT INTO insight_overlap_dirty (workspace_id, day) SELECT workspace_id, NULL FROM d`,
      [workspaceId, id],
    )
  ).rowCount

export const dueConnections = async (db: Queryable, now: Date, limit = 100): Promise<ConnectionRow[]> =>
  (
    await db.query<ConnectionRow>(
      `SELECT * FROM connections WHERE deleted_at IS NULL AND next_sync_at IS NOT NULL AND next_sync_at <= $1 ORDER BY next_sync_at LIMIT $2`,
      [now, limit],
    )
  ).rows
