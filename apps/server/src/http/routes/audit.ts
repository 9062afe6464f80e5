import { AuditList } from '@vulnsync/api'
import { listAudit } from '@vulnsync/db'
import { z } from 'zod'
import type { Runtime } from '../../runtime.ts'
import { presentAudit } from '../presenters/people.ts'
import type { Router } from '../route.ts'

export const auditRoutes = (rt: Runtime, r: Router) => {
  r.add({
    method: 'GET',
    url: '/api/v1/audit',
    access: 'admin',
    summary: 'Audit events, newest first',
    tags: ['audit'],
    query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
    response: AuditList,
    handler: async ({ query }) => ({ items: (await listAudit(rt.db, rt.workspaceId, query.limit)).map(presentAudit) }),
  })
}
