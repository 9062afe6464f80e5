import { z } from 'zod'
import { decodedBytes, FeedFormatError, textLines } from './bytes.ts'
import { type FeedRead, isoDatePart, type OnBatch, skipCounter } from './read.ts'

/**
 * FIRST EPSS daily CSV (upstream facts in docs: remediation-and-outbound §5), usually gzip: one comment line
 * `#model_version:v2025.03.14,score_date:2025-09-24T12:55:00Z`, the header `cve,epss,percentile`, then 240,000+ rows.
 * Read as a stream: gunzipped, split into lines and validated row by row, handed on in batches, so memory holds one
 * batch whatever the file's size. A row that is not a CVE with two numbers in [0, 1] is skipped and counted; a file
 * without the header is refused.
 */
export const EPSS_MAX_BYTES = 512 * 1024 * 1024

const Probability = z
  .string()
  .trim()
  .regex(/^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/, 'not a number')
  .transform(Number)
  .pipe(z.number().min(0).max(1))

export const EpssCsvRow = z.object({
  cve: z
    .string()
    .trim()
    .regex(/^CVE-\d{4}-\d{4,}$/i, 'not a CVE id')
    .transform((s) => s.toUpperCase()),
  epss: Probability,
  percentile: Probability,
})

export interface EpssRow {
  cve: string
  score: number
  percentile: number
}

/** `#model_version:v2025.03.14,score_date:2025-09-24T12:55:00Z` → its fields. */
export const parseEpssComment = (line: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const part of line.replace(/^#\s*/, '').split(',')) {
    const i = part.indexOf(':')
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim()
  }
  return out
}

export const readEpss = async (
  input: AsyncIterable<Uint8Array>,
  onBatch: OnBatch<EpssRow>,
  o: { batchSize?: number } = {},
): Promise<FeedRead> => {
  const skips = skipCounter()
  let meta: Record<string, string> = {}
  let columns: { cve: number; epss: number; percentile: number } | null = null
  let batch: EpssRow[] = []
  let entries = 0
  let lineNo = 0
  for await (const line of textLines(decodedBytes(input, EPSS_MAX_BYTES))) {
    lineNo++
    if (line.startsWith('#')) {
      if (!columns) meta = { ...meta, ...parseEpssComment(line) }
      continue
    }
    if (!line.trim()) continue
    const cells = line.split(',')
    if (!columns) {
      const names = cells.map((c) => c.trim().toLowerCase())
      const at = { cve: names.indexOf('cve'), epss: names.indexOf('epss'), percentile: names.indexOf('percentile') }
      if (at.cve < 0 || at.epss < 0 || at.percentile < 0)
        throw new FeedFormatError(
          'not_epss',
          `not an EPSS CSV: line ${lineNo} should be the header cve,epss,percentile, not ${JSON.stringify(line.slice(0, 60))}`,
        )
      columns = at
      continue
    }
    if (cells.length !== 3) {
      skips.skip(`line ${lineNo}`, `${cells.length} columns, not 3`)
      continue
    }
    const r = EpssCsvRow.safeParse({
      cve: cells[columns.cve],
      epss: cells[columns.epss],
      percentile: cells[columns.percentile],
    })
    if (!r.success) {
      skips.skip(`line ${lineNo}`, r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; '))
      continue
    }
    batch.push({ cve: r.data.cve, score: r.data.epss, percentile: r.data.percentile })
    entries++
    if (batch.length >= (o.batchSize ?? 5000)) {
      await onBatch(batch)
      batch = []
    }
  }
  if (!columns) throw new FeedFormatError('empty', 'the file has no EPSS header and no rows')
  if (batch.length) await onBatch(batch)
  return {
    entries,
    skipped: skips.count,
    skippedExamples: skips.examples,
    feedDate: meta.score_date ? isoDatePart(meta.score_date) : null,
    version: meta.model_version ?? null,
  }
}
