/** An instant as the API writes it (ISO 8601), or null. */
export const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null)

/** An instant that is never null in the database. */
export const isoRequired = (d: Date | string): string => new Date(d).toISOString()
