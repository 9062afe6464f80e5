import { MappingList, MappingSaved, RepositoryPage, UnmatchedList, UnmatchedSummary } from '@vulnsync/api'
import {
  audit,
  getLiveRepository,
  isKnownMatchKey,
  listMappings,
  listRepositories,
  listUnmatched,
  rematchUnmatched,
  saveMapping,
  waitingCounts,
} from '@vulnsync/db'
import { z } from 'zod'
import type { Runtime } from '../../runtime.ts'
import { ApiError } from '../errors.ts'
import { presentMapping, presentRepository, presentUnmatched } from '../presenters/inventory.ts'
import { actorOf } from '../principal.ts'
import type { Router } from '../route.ts'
import { DbId } from '../schemas.ts'

export const repositoryRoutes = (rt: Runtime, r: Router) => {
  r.add({
    method: 'GET',
    url: '/api/v1/repositories',
    access: 'viewer',
    summary: 'The repository inventory from connected source control',
    tags: ['repositories'],
    query: z.object({
      q: z.string().max(200).optional(),
      includeRemoved: z.enum(['true', 'false']).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
      cursor: DbId.optional(),
    }),
    response: RepositoryPage,
    handler: async ({ query }) => {
      const page = await listRepositories(rt.db, rt.workspaceId, {
        q: query.q,
        includeRemoved: query.includeRemoved === 'true',
        after: query.cursor ?? '0',
        limit: query.limit,
      })
      return {
        items: page.rows.map(presentRepository),
        nextCursor: page.more ? String(page.rows.at(-1)!.id) : null,
        total: page.total,
      }
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/unmatched',
    access: 'viewer',
    summary:
      'Findings waiting for a repository: each target as the scanner named it, its source, and how many findings wait on it',
    tags: ['repositories'],
    query: z.object({ q: z.string().max(200).optional() }),
    response: UnmatchedList,
    handler: async ({ query }) => ({
      items: (await listUnmatched(rt.db, rt.workspaceId, query.q)).map(presentUnmatched),
    }),
  })

  r.add({
    method: 'GET',
    url: '/api/v1/unmatched/summary',
    access: 'viewer',
    summary: 'How many findings wait for a repository match, and on how many targets, in all and per connection',
    tags: ['repositories'],
    response: UnmatchedSummary,
    handler: async () => {
      const rows = await waitingCounts(rt.db, rt.workspaceId)
      return {
        findings: rows.reduce((a, r) => a + r.findings, 0),
        targets: rows.reduce((a, r) => a + r.targets, 0),
        byConnection: rows.map((r) => ({ connectionId: r.connection_id, findings: r.findings, targets: r.targets })),
      }
    },
  })

  r.add({
    method: 'PUT',
    url: '/api/v1/unmatched/:key/mapping',
    access: 'member',
    summary: 'Map an unmatched target to a repository; its waiting findings join the queue at once',
    tags: ['repositories'],
    params: z.object({ key: z.string().min(1).max(1000) }),
    body: z.object({ repositoryId: DbId }),
    response: MappingSaved,
    handler: async ({ params, body, principal }) => {
      // only a key vulnsync issued (a target some finding waits on, or one mapped before) can be mapped
      if (!(await isKnownMatchKey(rt.db, rt.workspaceId, params.key)))
        throw new ApiError(
          404,
          'not_found',
          `no finding waits on the target key ${JSON.stringify(params.key.slice(0, 200))}`,
          'use a key from GET /api/v1/unmatched',
        )
      const repo = await getLiveRepository(rt.db, rt.workspaceId, body.repositoryId)
      if (!repo)
        throw new ApiError(
          422,
          'invalid_request',
          `repository ${body.repositoryId} does not exist`,
          'pick one from GET /api/v1/repositories',
        )
      await saveMapping(rt.db, {
        workspaceId: rt.workspaceId,
        matchKey: params.key,
        repositoryId: body.repositoryId,
        createdBy: actorOf(principal),
      })
      const joined = await rematchUnmatched(rt.db, rt.workspaceId, rt.now(), { matchKey: params.key })
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'mapping.save',
        target: params.key,
        detail: { repositoryId: body.repositoryId, joined },
      })
      return { key: params.key, repositoryId: body.repositoryId, repository: repo.full_name, joined }
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/mappings',
    access: 'viewer',
    summary: 'Saved manual repository mappings',
    tags: ['repositories'],
    response: MappingList,
    handler: async () => ({ items: (await listMappings(rt.db, rt.workspaceId)).map(presentMapping) }),
  })
}
