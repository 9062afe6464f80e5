import { PriorityPolicyChange, PriorityPolicyDoc } from '@vulnsync/api'
import { getPriorityPolicy } from '@vulnsync/db'
import type { Runtime } from '../../runtime.ts'
import { changePriorityPolicy } from '../../workflow/priority-policy.ts'
import type { Router } from '../route.ts'
import { changePolicy, DryRunQuery } from './policies.ts'

export const priorityPolicyRoutes = (rt: Runtime, r: Router) => {
  r.add({
    method: 'GET',
    url: '/api/v1/policies/priority',
    access: 'viewer',
    summary:
      'The priority policy: what a KEV listing does, the EPSS thresholds, which factors may lower a priority and by how many levels',
    tags: ['policies'],
    response: PriorityPolicyDoc,
    handler: async () => getPriorityPolicy(rt.db, rt.workspaceId),
  })

  r.add({
    method: 'PUT',
    url: '/api/v1/policies/priority',
    access: 'admin',
    summary:
      "Change the priority policy: every issue's priority is recomputed and each change recorded on its timeline; with dryRun=true only how many issues would move between which levels",
    tags: ['policies'],
    query: DryRunQuery,
    body: PriorityPolicyDoc,
    response: PriorityPolicyChange,
    handler: async ({ query, body, principal }) =>
      changePolicy(rt, {
        name: 'priority',
        policy: body,
        query,
        principal,
        change: (c) => changePriorityPolicy(rt.db, rt.workspaceId, body, c),
      }),
  })
}
