import { createContext, useContext } from 'react'
import type { Role, User } from './api.ts'

export interface AuthState {
  user: User
  signOut: () => Promise<void>
}

export const AuthCtx = createContext<AuthState | null>(null)

export function useAuth(): AuthState {
  const a = useContext(AuthCtx)
  if (!a) throw new Error('useAuth outside a signed-in app')
  return a
}

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2 }
/** true when the signed-in user has at least the given role */
export function useCan(role: Role): boolean {
  const { user } = useAuth()
  return RANK[user.role] >= RANK[role]
}
