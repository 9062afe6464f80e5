import { SlaPolicyChange, SlaPolicyDoc } from '@vulnsync/api'
import { audit, getSlaPolicy } from '@vulnsync/db'
import { z } from 'zod'
import type { Runtime } from '../../runtime.ts'
import { changeSlaPolicy } from '../../workflow/policies.ts'
import { actorOf, eventActor } from '../principal.ts'
import type { Router } from '../route.ts'

export const policyRoutes = (rt: Runtime, r: Router) => {
  r.add({
    method: 'GET',
    url: '/api/v1/policies/sla',
    access: 'viewer',
    summary: 'The SLA policy: days per level (by priority or severity), due-soon days, the longest risk acceptance',
    tags: ['policies'],
    response: SlaPolicyDoc,
    handler: async () => getSlaPolicy(rt.db, rt.workspaceId),
  })

  r.add({
    method: 'PUT',
    url: '/api/v1/policies/sla',
    access: 'admin',
    summary:
      "Change the SLA policy: open issues' due dates are recomputed (closed ones keep theirs); with dryRun=true only the counts of open issues that would change SLA state",
    tags: ['policies'],
    query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
    body: SlaPolicyDoc,
    response: SlaPolicyChange,
    handler: async ({ query, body, principal }) => {
      const dryRun = query.dryRun === 'true'
      const r2 = await changeSlaPolicy(rt.db, rt.workspaceId, body, {
        dryRun,
        actor: eventActor(principal),
        now: rt.now(),
      })
      if (!dryRun)
        await audit(rt.db, {
          workspaceId: rt.workspaceId,
          actor: actorOf(principal),
          action: 'policy.sla',
          detail: { policy: body, changed: r2.changed },
        })
      return { policy: body, dryRun, ...r2 }
    },
  })
}
