import { z } from 'zod'

/** An instant as ISO 8601 text (`2026-12-02T10:00:00.000Z`). */
export const Iso = z.string().describe('ISO 8601 timestamp')
export const NullableIso = Iso.nullable()

export const SEVERITY_LEVELS = ['critical', 'high', 'medium', 'low', 'info'] as const
export const Severity = z.enum(SEVERITY_LEVELS)
export type Severity = z.infer<typeof Severity>

export const ROLES = ['admin', 'member', 'viewer'] as const
export const Role = z.enum(ROLES)
export type Role = z.infer<typeof Role>

/** Every error body: `{"error":{code, message, hint?, details?, reqId}}`. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    hint: z.string().optional(),
    details: z.unknown().optional(),
    reqId: z.string().optional(),
  }),
})
export type ErrorBody = z.infer<typeof ErrorBody>

/** A cursor-paged list. `nextCursor` is null on the last page. */
export const paged = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), nextCursor: z.string().nullable(), total: z.number().int() })

export const list = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item) })

export const Ok = z.strictObject({ ok: z.literal(true) })
