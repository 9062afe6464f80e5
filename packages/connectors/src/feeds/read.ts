/** What reading a feed file found: its accepted entries, what was skipped and why, and the feed's own date. */
export interface FeedRead {
  entries: number
  skipped: number
  /** a few skipped lines or entries with the reason, for the refresh's outcome */
  skippedExamples: string[]
  /** the feed's date (`YYYY-MM-DD`): KEV's dateReleased, EPSS's score_date */
  feedDate: string | null
  /** KEV's catalogVersion, EPSS's model_version */
  version: string | null
}

/** Receives the accepted rows in batches; the reader waits for it (backpressure), so memory stays one batch. */
export type OnBatch<R> = (rows: R[]) => Promise<void>

/** Counts skips and keeps the first few reasons. */
export const skipCounter = (max = 5) => {
  const examples: string[] = []
  let count = 0
  return {
    skip(where: string, why: string) {
      count++
      if (examples.length < max) examples.push(`${where}: ${why}`)
    },
    get count() {
      return count
    },
    examples,
  }
}

/** `YYYY-MM-DD` from a date or an ISO timestamp with any number of fractional digits (KEV writes four), else null. */
export const isoDatePart = (s: string): string | null => {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(
    s.trim(),
  )
  if (!m) return null
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const date = new Date(Date.UTC(y, mo - 1, d))
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
    ? `${m[1]}-${m[2]}-${m[3]}`
    : null
}
