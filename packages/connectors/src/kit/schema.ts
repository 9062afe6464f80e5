import { z } from 'zod'

/** A base URL field: trimmed, http(s) only, no trailing slash. `example` is shown in the error. */
export const httpBaseUrl = (example: string) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v)
        return u.protocol === 'https:' || u.protocol === 'http:'
      } catch {
        return false
      }
    }, `must be an http(s) URL, e.g. ${example}`)
    .transform((v) => v.replace(/\/+$/, ''))
