import { z } from 'zod'

/** Request pieces every route shares, so each rule is written once. */

/** A UUID path parameter. */
export const UuidParams = z.object({ id: z.string().uuid('must be a UUID') })

const MAX_BIGINT = 9_223_372_036_854_775_807n

/** A database id (bigint column): digits only, at most 2^63 − 1. Accepts a JSON number or a string of digits. */
export const DbId = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const s = typeof v === 'number' ? (Number.isSafeInteger(v) ? String(v) : '') : v.trim()
  if (!/^\d{1,19}$/.test(s) || BigInt(s) > MAX_BIGINT || BigInt(s) === 0n) {
    ctx.addIssue({ code: 'custom', message: 'must be a positive whole number id (at most 9223372036854775807)' })
    return z.NEVER
  }
  return s
})

/** A numeric id in the path. */
export const DbIdParams = z.object({ id: DbId })

/** A display name: trimmed, not empty, not only spaces. */
export const Name = (max = 100) =>
  z.string().trim().min(1, 'must not be empty or only spaces').max(max, `must be at most ${max} characters`)

export const Password = z.string().min(10, 'passwords need at least 10 characters').max(200)
