import type { AuditEvent, Token, User } from '@vulnsync/api'
import type { AuditRow, Role } from '@vulnsync/db'
import { iso, isoRequired } from './time.ts'

export const presentUser = (u: { id: string; username: string; role: Role; created_at: Date }): User => ({
  id: u.id,
  username: u.username,
  role: u.role,
  createdAt: isoRequired(u.created_at),
})

export const presentToken = (t: {
  id: string
  name: string
  prefix: string
  role: Role
  user_id: string | null
  created_at: Date | null
  last_used_at: Date | null
  expires_at: Date | null
}): Token => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  role: t.role,
  userId: t.user_id,
  createdAt: iso(t.created_at),
  lastUsedAt: iso(t.last_used_at),
  expiresAt: iso(t.expires_at),
})

export const presentAudit = (e: AuditRow): AuditEvent => ({
  id: String(e.id),
  actor: e.actor,
  action: e.action,
  target: e.target,
  detail: e.detail,
  at: isoRequired(e.at),
})
