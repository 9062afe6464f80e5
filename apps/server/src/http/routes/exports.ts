import { getSlaPolicy } from '@vulnsync/db'
import type { z } from 'zod'
import { VERSION } from '../../bootstrap.ts'
import { cyclonedxVex, issuesForVex, openVex } from '../../exports/vex.ts'
import type { Runtime } from '../../runtime.ts'
import type { Router } from '../route.ts'
import { QueueFilterQuery, toQueueFilter } from './vulnerabilities.ts'

/** VEX documents of the issues a queue filter matches (the queue's own filter parameters). */
export const exportRoutes = (rt: Runtime, r: Router) => {
  const issuesOf = async (query: z.infer<typeof QueueFilterQuery>, principal: Parameters<typeof toQueueFilter>[1]) => {
    const now = rt.now()
    const policy = await getSlaPolicy(rt.db, rt.workspaceId)
    return { now, issues: await issuesForVex(rt.db, rt.workspaceId, toQueueFilter(query, principal, policy, now)) }
  }
  const day = () => rt.now().toISOString().slice(0, 10)

  r.add({
    method: 'GET',
    url: '/api/v1/exports/cyclonedx-vex',
    access: 'viewer',
    summary:
      'CycloneDX 1.6 VEX of the issues the queue filters match: vulnerabilities[].analysis (state, justification, response, detail) from decisions and fixes',
    tags: ['exports'],
    query: QueueFilterQuery,
    produces: 'application/vnd.cyclonedx+json',
    handler: async ({ query, principal, reply }) => {
      const { now, issues } = await issuesOf(query, principal)
      const doc = cyclonedxVex(issues, { now, version: VERSION, publicUrl: rt.config.publicUrl })
      reply.header('content-type', 'application/vnd.cyclonedx+json; version=1.6; charset=utf-8')
      reply.header('content-disposition', `attachment; filename="vulnsync-vex-${day()}.cdx.json"`)
      return reply.send(JSON.stringify(doc))
    },
  })

  r.add({
    method: 'GET',
    url: '/api/v1/exports/openvex',
    access: 'viewer',
    summary:
      'OpenVEX 0.2.0 of the issues the queue filters match: one statement per issue with status, justification, impact or action statement',
    tags: ['exports'],
    query: QueueFilterQuery,
    produces: 'application/json',
    handler: async ({ query, principal, reply }) => {
      const { now, issues } = await issuesOf(query, principal)
      const doc = openVex(issues, { now, version: VERSION, publicUrl: rt.config.publicUrl })
      reply.header('content-type', 'application/json; charset=utf-8')
      reply.header('content-disposition', `attachment; filename="vulnsync-${day()}.openvex.json"`)
      return reply.send(JSON.stringify(doc))
    },
  })
}
