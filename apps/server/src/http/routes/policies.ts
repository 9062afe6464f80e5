import { SlaPolicyChange, SlaPolicyDoc } from '@vulnsync/api'
import { type Actor, audit, getSlaPolicy, type Principal } from '@vulnsync/db'
import { z } from 'zod'
import type { Runtime } from '../../runtime.ts'
import { changeSlaPolicy } from '../../workflow/policies.ts'
import { actorOf, eventActor } from '../principal.ts'
import type { Router } from '../route.ts'

/** `?dryRun=true` on a policy's PUT: count what the change would do, save nothing. */
export const DryRunQuery = z.object({ dryRun: z.enum(['true', 'false']).optional() })

/**
 * A workspace policy's PUT, shared by every policy: the change runs as a dry run or for real (the same code counts
 * both), a real one is audited, and the answer is the policy with what the change does.
 */
export const changePolicy = async <P, R extends { changed: number }>(
  rt: Runtime,
  o: {
    name: string
    policy: P
    query: z.infer<typeof DryRunQuery>
    principal: Principal
    change: (c: { dryRun: boolean; actor: Actor; now: Date }) => Promise<R>
  },
) => {
  const dryRun = o.query.dryRun === 'true'
  const result = await o.change({ dryRun, actor: eventActor(o.principal), now: rt.now() })
  if (!dryRun)
    await audit(rt.db, {
      workspaceId: rt.workspaceId,
      actor: actorOf(o.principal),
      action: `policy.${o.name}`,
      detail: { policy: o.policy, changed: result.changed },
    })
  return { policy: o.policy, dryRun, ...result }
}

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
    query: DryRunQuery,
    body: SlaPolicyDoc,
    response: SlaPolicyChange,
    handler: async ({ query, body, principal }) =>
      changePolicy(rt, {
        name: 'sla',
        policy: body,
        query,
        principal,
        change: (c) => changeSlaPolicy(rt.db, rt.workspaceId, body, c),
      }),
  })
}
