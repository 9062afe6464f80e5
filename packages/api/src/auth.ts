import { z } from 'zod'
import { Iso, list, NullableIso, Role } from './common.ts'

export const User = z.strictObject({
  id: z.string(),
  username: z.string(),
  role: Role,
  createdAt: Iso,
})
export type User = z.infer<typeof User>

export const UserEnvelope = z.strictObject({ user: User })
export const UserList = list(User)

/** A user an issue can be assigned to (what every role may see of the workspace's people). */
export const AssignableUser = z.strictObject({ id: z.string(), username: z.string() })
export type AssignableUser = z.infer<typeof AssignableUser>
export const AssignableUserList = list(AssignableUser)

/** Who is calling, with the effective role of the credential. */
export const Me = z.strictObject({
  user: z.strictObject({ id: z.string().nullable(), username: z.string(), role: Role }),
  via: z.enum(['token', 'session']),
})
export type Me = z.infer<typeof Me>

export const PasswordChanged = z.strictObject({ ok: z.literal(true), sessionsEnded: z.number().int() })

export const Token = z.strictObject({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  role: Role,
  userId: z.string().nullable(),
  createdAt: NullableIso,
  lastUsedAt: NullableIso,
  expiresAt: NullableIso,
})
export type Token = z.infer<typeof Token>
export const TokenList = list(Token)

/** A new token: the only time its value is shown. */
export const TokenCreated = z.strictObject({
  id: z.string(),
  name: z.string(),
  role: Role,
  token: z.string(),
  createdAt: Iso,
})
export type TokenCreated = z.infer<typeof TokenCreated>

export const AuditEvent = z.strictObject({
  id: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  detail: z.unknown(),
  at: Iso,
})
export type AuditEvent = z.infer<typeof AuditEvent>
export const AuditList = list(AuditEvent)
