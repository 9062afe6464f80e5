import type {} from '@fastify/cookie'
import {
  audit,
  countAdmins,
  deleteSession,
  deleteUserSessions,
  disableUser,
  findUserByName,
  getUser,
  insertSession,
  insertToken,
  insertUser,
  listTokens,
  listUsers,
  type Principal,
  revokeToken,
  updateUser,
} from '@vulnsync/db'
import { z } from 'zod'
import { generateToken, hashPassword, hashToken, tokenPrefix, verifyPassword } from '../../auth.ts'
import type { Runtime } from '../../runtime.ts'
import { SESSION_COOKIE } from '../authenticate.ts'
import { ApiError } from '../errors.ts'
import { assertLoginAllowed, recordLoginFailure } from '../login-limit.ts'
import type { createRouter } from '../route.ts'
import { UuidParams as Id, Name } from '../schemas.ts'

const SESSION_DAYS = 7
const Role = z.enum(['admin', 'member', 'viewer'])
const Password = z.string().min(10, 'passwords need at least 10 characters').max(200)

const userView = (u: { id: string; username: string; role: string; created_at: Date }) => ({
  id: u.id,
  username: u.username,
  role: u.role,
  createdAt: new Date(u.created_at).toISOString(),
})

export const authRoutes = (
  rt: Runtime,
  r: ReturnType<typeof createRouter>,
  authenticateToken: (token: string) => Promise<Principal | null>,
) => {
  const actorOf = (p: Principal) => p.username ?? 'token'
  r.add({
    method: 'POST',
    url: '/api/v1/auth/login',
    access: 'public',
    summary: 'Sign in with a user name and password, or an API token; sets an HttpOnly session cookie',
    tags: ['auth'],
    body: z.union([
      z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(200) }),
      z.object({ token: z.string().min(1).max(200) }),
    ]),
    handler: async ({ body, req, reply }) => {
      const address = req.ip
      const account = 'username' in body ? body.username.toLowerCase() : null
      await assertLoginAllowed(rt, { account, address })
      let user: { id: string; username: string; role: Principal['role']; created_at: Date } | null = null
      // a session opened with an API token never carries more than that token: capped at its role, ends with it
      let cap: { tokenId: string; role: Principal['role'] } | null = null
      if ('token' in body) {
        const p = await authenticateToken(body.token)
        if (!p) {
          await recordLoginFailure(rt, { account: null, actor: 'api token', address, reason: 'invalid_token' })
          throw new ApiError(
            401,
            'invalid_credentials',
            'that API token is not valid',
            'check the token, or create a new one with `vulnsync token create`',
          )
        }
        if (!p.userId || !p.tokenId)
          throw new ApiError(
            400,
            'token_without_user',
            'this API token is not tied to a user and cannot open a session',
          )
        user = await getUser(rt.db, rt.workspaceId, p.userId)
        cap = { tokenId: p.tokenId, role: p.role }
      } else {
        const u = await findUserByName(rt.db, rt.workspaceId, body.username)
        const ok = u && !u.disabled_at && (await verifyPassword(body.password, u.password_hash))
        if (!ok) {
          await recordLoginFailure(rt, { account, actor: body.username, address, reason: 'invalid_password' })
          throw new ApiError(
            401,
            'invalid_credentials',
            'the user name or password is wrong',
            'an admin can reset your password',
          )
        }
        user = u
      }
      if (!user) throw new ApiError(401, 'invalid_credentials', 'sign-in failed')
      const sid = generateToken('vss')
      await insertSession(rt.db, {
        hash: hashToken(sid),
        userId: user.id,
        expiresAt: new Date(Date.now() + SESSION_DAYS * 86_400_000),
        tokenId: cap?.tokenId ?? null,
        maxRole: cap?.role ?? null,
      })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: user.username,
        action: 'auth.login',
        detail: { via: cap ? 'token' : 'password', address, ...(cap ? { tokenId: cap.tokenId, role: cap.role } : {}) },
      })
      reply.setCookie(SESSION_COOKIE, sid, {
        httpOnly: true,
        sameSite: 'lax',
        secure: rt.config.secureCookies,
        path: '/',
        maxAge: SESSION_DAYS * 86_400,
      })
      return { user: { ...userView(user), role: cap?.role ?? user.role } }
    },
  })
  r.add({
    method: 'POST',
    url: '/api/v1/auth/logout',
    access: 'viewer',
    summary: 'Sign out: ends the session',
    tags: ['auth'],
    handler: async ({ req, reply }) => {
      const sid = req.cookies?.[SESSION_COOKIE]
      if (sid) await deleteSession(rt.db, hashToken(sid))
      reply.clearCookie(SESSION_COOKIE, { path: '/' })
      return { ok: true }
    },
  })
  r.add({
    method: 'POST',
    url: '/api/v1/auth/password',
    access: 'viewer',
    summary: 'Change your own password; every other session of yours ends',
    tags: ['auth'],
    body: z.object({ currentPassword: z.string().min(1).max(200), newPassword: Password }),
    handler: async ({ body, principal }) => {
      const u = principal.userId ? await getUser(rt.db, rt.workspaceId, principal.userId) : null
      if (!u) throw new ApiError(400, 'no_user', 'this credential belongs to no user, so it has no password to change')
      if (!(await verifyPassword(body.currentPassword, u.password_hash)))
        throw new ApiError(
          403,
          'invalid_credentials',
          'the current password is wrong',
          'an admin can reset your password',
        )
      await updateUser(rt.db, rt.workspaceId, u.id, { passwordHash: await hashPassword(body.newPassword) })
      const ended = await deleteUserSessions(rt.db, u.id, principal.sessionHash)
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'user.password_change',
        target: u.id,
        detail: { sessionsEnded: ended },
      })
      return { ok: true, sessionsEnded: ended }
    },
  })
  r.add({
    method: 'GET',
    url: '/api/v1/auth/me',
    access: 'viewer',
    summary: 'Who am I',
    tags: ['auth'],
    handler: async ({ principal }) => ({
      user: { id: principal.userId, username: principal.username ?? 'api-token', role: principal.role },
      via: principal.via,
    }),
  })

  // ---------------------------------------------------------------- users
  r.add({
    method: 'GET',
    url: '/api/v1/users',
    access: 'admin',
    summary: 'List users',
    tags: ['users'],
    handler: async () => ({ items: (await listUsers(rt.db, rt.workspaceId)).map(userView) }),
  })
  r.add({
    method: 'POST',
    url: '/api/v1/users',
    access: 'admin',
    summary: 'Create a user',
    tags: ['users'],
    body: z.object({
      username: z
        .string()
        .min(2)
        .max(64)
        .regex(/^[\w.@-]+$/, 'letters, digits and . _ - @ only'),
      password: Password,
      role: Role,
    }),
    handler: async ({ body, principal, reply }) => {
      if (await findUserByName(rt.db, rt.workspaceId, body.username))
        throw new ApiError(409, 'conflict', `a user named ${body.username} exists already`)
      const u = await insertUser(rt.db, {
        workspaceId: rt.workspaceId,
        username: body.username,
        passwordHash: await hashPassword(body.password),
        role: body.role,
      })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'user.create',
        target: u.id,
        detail: { username: u.username, role: u.role },
      })
      reply.status(201)
      return { user: userView(u) }
    },
  })
  r.add({
    method: 'PATCH',
    url: '/api/v1/users/:id',
    access: 'admin',
    summary: "Change a user's role or password",
    tags: ['users'],
    params: Id,
    body: z.object({ role: Role.optional(), password: Password.optional() }),
    handler: async ({ params, body, principal }) => {
      if (body.role && body.role !== 'admin') {
        const target = (
          await rt.db.query(`SELECT role FROM users WHERE id = $1 AND workspace_id = $2`, [params.id, rt.workspaceId])
        ).rows[0]
        if (target?.role === 'admin' && (await countAdmins(rt.db, rt.workspaceId)) <= 1)
          throw new ApiError(409, 'last_admin', 'this is the last admin; make another user admin first')
      }
      const u = await updateUser(rt.db, rt.workspaceId, params.id, {
        role: body.role,
        passwordHash: body.password ? await hashPassword(body.password) : undefined,
      })
      if (!u) throw new ApiError(404, 'not_found', `user ${params.id} does not exist`)
      // a new password ends every other session of that user (the admin's own session stays when it is theirs)
      const sessionsEnded = body.password ? await deleteUserSessions(rt.db, u.id, principal.sessionHash) : 0
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'user.update',
        target: u.id,
        detail: { role: body.role, passwordChanged: !!body.password, sessionsEnded },
      })
      return { user: userView(u) }
    },
  })
  r.add({
    method: 'DELETE',
    url: '/api/v1/users/:id',
    access: 'admin',
    summary: 'Remove a user (their sessions and tokens end)',
    tags: ['users'],
    params: Id,
    handler: async ({ params, principal }) => {
      const target = (
        await rt.db.query(`SELECT role FROM users WHERE id = $1 AND workspace_id = $2 AND disabled_at IS NULL`, [
          params.id,
          rt.workspaceId,
        ])
      ).rows[0]
      if (!target) throw new ApiError(404, 'not_found', `user ${params.id} does not exist`)
      if (target.role === 'admin' && (await countAdmins(rt.db, rt.workspaceId)) <= 1)
        throw new ApiError(409, 'last_admin', 'this is the last admin and cannot be removed')
      await disableUser(rt.db, rt.workspaceId, params.id)
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'user.delete',
        target: params.id,
      })
    },
  })

  // ---------------------------------------------------------------- API tokens
  r.add({
    method: 'POST',
    url: '/api/v1/tokens',
    access: 'admin',
    summary: 'Create an API token; the token is returned once and stored only as a hash',
    tags: ['tokens'],
    body: z.object({
      name: Name(100).default('api token'),
      role: Role.default('viewer'),
      expiresInDays: z.number().int().min(1).max(3650).optional(),
    }),
    handler: async ({ body, principal, reply }) => {
      const token = generateToken()
      const row = await insertToken(rt.db, {
        workspaceId: rt.workspaceId,
        userId: principal.userId,
        name: body.name,
        hash: hashToken(token),
        prefix: tokenPrefix(token),
        role: body.role,
        expiresAt: body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null,
      })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'token.create',
        target: row.id,
        detail: { name: body.name, role: body.role },
      })
      reply.status(201)
      return { id: row.id, name: body.name, role: body.role, token, createdAt: new Date(row.created_at).toISOString() }
    },
  })
  r.add({
    method: 'GET',
    url: '/api/v1/tokens',
    access: 'admin',
    summary: 'List API tokens (never their values)',
    tags: ['tokens'],
    handler: async () => ({
      items: (await listTokens(rt.db, rt.workspaceId)).map((t: any) => ({
        id: t.id,
        name: t.name,
        prefix: t.prefix,
        role: t.role,
        userId: t.user_id,
        createdAt: t.created_at ? new Date(t.created_at).toISOString() : null,
        lastUsedAt: t.last_used_at ? new Date(t.last_used_at).toISOString() : null,
        expiresAt: t.expires_at ? new Date(t.expires_at).toISOString() : null,
      })),
    }),
  })
  r.add({
    method: 'DELETE',
    url: '/api/v1/tokens/:id',
    access: 'admin',
    summary: 'Revoke an API token',
    tags: ['tokens'],
    params: Id,
    handler: async ({ params, principal }) => {
      if (!(await revokeToken(rt.db, rt.workspaceId, params.id)))
        throw new ApiError(404, 'not_found', `token ${params.id} does not exist`)
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'token.revoke',
        target: params.id,
      })
    },
  })
}
