import { Role, TokenCreated, TokenList } from '@vulnsync/api'
import { audit, insertToken, listTokens, revokeToken } from '@vulnsync/db'
import { z } from 'zod'
import { generateToken, hashToken, tokenPrefix } from '../../auth.ts'
import type { Runtime } from '../../runtime.ts'
import { ApiError } from '../errors.ts'
import { presentToken } from '../presenters/people.ts'
import { actorOf } from '../principal.ts'
import type { Router } from '../route.ts'
import { UuidParams as Id, Name } from '../schemas.ts'

export const tokenRoutes = (rt: Runtime, r: Router) => {
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
    response: TokenCreated,
    status: 201,
    handler: async ({ body, principal }) => {
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
      return { id: row.id, name: body.name, role: body.role, token, createdAt: new Date(row.created_at).toISOString() }
    },
  })
  r.add({
    method: 'GET',
    url: '/api/v1/tokens',
    access: 'admin',
    summary: 'List API tokens (never their values)',
    tags: ['tokens'],
    response: TokenList,
    handler: async () => ({ items: (await listTokens(rt.db, rt.workspaceId)).map(presentToken) }),
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
