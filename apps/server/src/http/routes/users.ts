import { AssignableUserList, Role, UserEnvelope, UserList } from '@vulnsync/api'
import {
  audit,
  countAdmins,
  deleteUserSessions,
  disableUser,
  findUserByName,
  insertUser,
  listUsers,
  updateUser,
} from '@vulnsync/db'
import { z } from 'zod'
import { hashPassword } from '../../auth.ts'
import type { Runtime } from '../../runtime.ts'
import { ApiError } from '../errors.ts'
import { presentUser } from '../presenters/people.ts'
import { actorOf } from '../principal.ts'
import type { Router } from '../route.ts'
import { UuidParams as Id, Password } from '../schemas.ts'

export const userRoutes = (rt: Runtime, r: Router) => {
  r.add({
    method: 'GET',
    url: '/api/v1/users',
    access: 'admin',
    summary: 'List users',
    tags: ['users'],
    response: UserList,
    handler: async () => ({ items: (await listUsers(rt.db, rt.workspaceId)).map(presentUser) }),
  })
  r.add({
    method: 'GET',
    url: '/api/v1/users/assignable',
    access: 'viewer',
    summary: 'The active users an issue can be assigned to: id and user name only (for the assignee pickers)',
    tags: ['users', 'workflow'],
    response: AssignableUserList,
    handler: async () => ({
      items: (await listUsers(rt.db, rt.workspaceId)).map((u) => ({ id: u.id, username: u.username })),
    }),
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
    response: UserEnvelope,
    status: 201,
    handler: async ({ body, principal }) => {
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
      return { user: presentUser(u) }
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
    response: UserEnvelope,
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
      return { user: presentUser(u) }
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
}
