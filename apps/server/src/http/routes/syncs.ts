import { Run, RunList, RunStatus } from '@vulnsync/api'
import { isSourceConnector } from '@vulnsync/core'
import { audit, getRun, hasNewerRun, listRuns } from '@vulnsync/db'
import { z } from 'zod'
import type { Runtime } from '../../runtime.ts'
import { connectionForRun } from '../../sync/connection.ts'
import { confirmHeldRun } from '../../sync/resolution.ts'
import { ApiError } from '../errors.ts'
import { presentRun } from '../presenters/connection.ts'
import { actorOf } from '../principal.ts'
import type { Router } from '../route.ts'
import { UuidParams as Id } from '../schemas.ts'
import { loadConnection } from './connections.ts'

export const syncRoutes = (rt: Runtime, r: Router) => {
  r.add({
    method: 'GET',
    url: '/api/v1/syncs',
    access: 'viewer',
    summary: 'Sync runs, newest first',
    tags: ['syncs'],
    query: z.object({
      connectionId: z.string().uuid().optional(),
      status: RunStatus.optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    response: RunList,
    handler: async ({ query }) => ({ items: (await listRuns(rt.db, rt.workspaceId, query)).map(presentRun) }),
  })

  r.add({
    method: 'GET',
    url: '/api/v1/syncs/:id',
    access: 'viewer',
    summary: 'One sync run with its progress and counts',
    tags: ['syncs'],
    params: Id,
    response: Run,
    handler: async ({ params }) => {
      const run = await getRun(rt.db, params.id)
      if (!run || run.workspace_id !== rt.workspaceId)
        throw new ApiError(404, 'not_found', `sync run ${params.id} does not exist`)
      return presentRun(run)
    },
  })

  r.add({
    method: 'POST',
    url: '/api/v1/syncs/:id/confirm',
    access: 'admin',
    summary: 'Confirm a held run: apply the resolution it held back because the drop looked implausible',
    tags: ['syncs'],
    params: Id,
    response: Run,
    handler: async ({ params, principal }) => {
      const run = await getRun(rt.db, params.id)
      if (!run || run.workspace_id !== rt.workspaceId)
        throw new ApiError(404, 'not_found', `sync run ${params.id} does not exist`)
      if (run.status !== 'held') throw new ApiError(409, 'not_held', `run ${run.id} is ${run.status}, not held`)
      if (await hasNewerRun(rt.db, run))
        throw new ApiError(409, 'stale', 'a newer run of this connection exists; confirm that one instead')
      const { row, connector } = await loadConnection(rt, run.connection_id)
      if (!isSourceConnector(connector))
        throw new ApiError(409, 'not_held', `run ${run.id} is a ticket reconciliation: it holds nothing back`)
      await confirmHeldRun(rt.db, run, connectionForRun(rt.box, row), connector, rt.now())
      await audit(rt.db, {
        workspaceId: rt.workspaceId,
        actor: actorOf(principal),
        action: 'sync.confirm',
        target: run.id,
      })
      return presentRun((await getRun(rt.db, run.id))!)
    },
  })
}
