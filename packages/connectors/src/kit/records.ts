import type { HttpResponse, ReadEvent, Skip } from '@vulnsync/core'
import type { z } from 'zod'

/** Validates a raw record once: `{ok, data}`, or the `invalid_record` skip with the first thing zod found wrong. */
export const validateRecord = <T>(schema: z.ZodType<T>, value: unknown, what: string) => {
  const parsed = schema.safeParse(value)
  return parsed.success
    ? { ok: true as const, data: parsed.data }
    : { ok: false as const, skip: { skip: 'invalid_record', detail: parsed.error.issues[0]?.message ?? `not ${what}` } }
}

/** A raw record validated once, as a read event: a record, or a skip counted under `invalid_record` (with the scope when given). */
export const recordEvent = <T, Cursor>(
  schema: z.ZodType<T>,
  value: unknown,
  what: string,
  scope?: string | undefined,
): ReadEvent<T, Cursor> => {
  const r = validateRecord(schema, value, what)
  const at = scope ? { scope } : {}
  return r.ok
    ? { type: 'record', raw: r.data, ...at }
    : { type: 'skip', reason: r.skip.skip, detail: r.skip.detail, ...at }
}

/**
 * A record end to end, as read and map see it: validated once, then mapped; an invalid record is the
 * `invalid_record` skip. For tests and tools that map a raw record outside a read.
 */
export const parseThenMap =
  <T, R>(schema: z.ZodType<T>, what: string, map: (record: T) => R) =>
  (raw: unknown): R | Skip => {
    const r = validateRecord(schema, raw, what)
    return r.ok ? map(r.data) : r.skip
  }

/**
 * One selected item read on its own (a repository by id): its record, or, when it answered HTTP 404, a
 * `repository_not_found` warning in the connector's words: it is gone or no longer visible, which is not a failure.
 */
export const selectedRecord = <T, Cursor>(
  res: HttpResponse,
  schema: z.ZodType<T>,
  what: string,
  scope: string,
  gone: string,
): ReadEvent<T, Cursor> =>
  res.status === 404
    ? { type: 'warning', code: 'repository_not_found', message: gone }
    : recordEvent(schema, res.json(), what, scope)
