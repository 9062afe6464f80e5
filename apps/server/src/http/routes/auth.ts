import type {} from '@fastify/cookie'
import { Me, Ok, PasswordChanged, UserEnvelope } from '@vulnsync/api'
import {
  audit,
  deleteSession,
  deleteUserSessions,
  findUserByName,
  getUser,
  insertSession,
  type Principal,
  updateUser,
} from '@vulnsync/db'
import { z } from 'zod'
import { generateToken, hashPassword, hashToken, verifyPassword } from '../../auth.ts'
import type { Runtime } from '../../runtime.ts'
import { SESSION_COOKIE } from '../authenticate.ts'
import { ApiError } from '../errors.ts'
import { assertLoginAllowed, recordLoginFailure } from '../login-limit.ts'
import { presentUser } from '../presenters/people.ts'
import { actorOf } from '../principal.ts'
import type { Router } from '../route.ts'
import { Password } from '../schemas.ts'

const SESSION_DAYS = 7

export const authRoutes = (rt: Runtime, r: Router, authenticateToken: (token: string) => Promise<Principal | null>) => {
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
    response: UserEnvelope,
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
      return { user: { ...presentUser(user), role: cap?.role ?? user.role } }
    },
  })
  r.add({
    method: 'POST',
    url: '/api/v1/auth/logout',
    access: 'viewer',
    summary: 'Sign out: ends the session',
    tags: ['auth'],
    response: Ok,
    handler: async ({ req, reply }) => {
      const sid = req.cookies?.[SESSION_COOKIE]
      if (sid) await deleteSession(rt.db, hashToken(sid))
      reply.clearCookie(SESSION_COOKIE, { path: '/' })
      return { ok: true as const }
    },
  })
  r.add({
    method: 'POST',
    url: '/api/v1/auth/password',
    access: 'viewer',
    summary: 'Change your own password; every other session of yours ends',
    tags: ['auth'],
    body: z.object({ currentPassword: z.string().min(1).max(200), newPassword: Password }),
    response: PasswordChanged,
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
      return { ok: true as const, sessionsEnded: ended }
    },
  })
  r.add({
    method: 'GET',
    url: '/api/v1/auth/me',
    access: 'viewer',
    summary: 'Who am I, with the effective role of my credential',
    tags: ['auth'],
    response: Me,
    handler: async ({ principal }) => ({
      user: { id: principal.userId, username: principal.username ?? 'api-token', role: principal.role },
      via: principal.via,
    }),
  })
}
