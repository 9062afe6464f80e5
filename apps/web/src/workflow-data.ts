// What the triage controls of several pages read from the server: the SLA policy (the longest acceptance, the
// due-soon days) and the users an issue can be assigned to (GET /users/assignable: any role may read it).
import { type AssignableUser, api, type SlaPolicyDoc } from './api.ts'
import { useLoad } from './hooks.ts'

export function useSlaPolicy() {
  return useLoad('sla-policy', (s) => api<SlaPolicyDoc>('GET', '/policies/sla', undefined, s))
}

/** The assignable users; null key (not loaded) when the caller cannot assign anyway. */
export function useAssignableUsers(enabled = true) {
  return useLoad(enabled ? 'assignable-users' : null, (s) =>
    api<{ items: AssignableUser[] }>('GET', '/users/assignable', undefined, s),
  )
}
