import { z } from 'zod'
import { decodedBytes, FeedFormatError, readAllText } from './bytes.ts'
import { type FeedRead, isoDatePart, type OnBatch, skipCounter } from './read.ts'

/**
 * The CISA Known Exploited Vulnerabilities catalog (JSON; upstream facts in docs: remediation-and-outbound §4):
 * `{title, catalogVersion, dateReleased, count, vulnerabilities[]}`, about 1,400 entries and 1.3 MB. The catalog is
 * read whole (capped at 32 MB, gzip accepted), then each entry is validated on its own: a bad entry is skipped and
 * counted, a catalog without its required fields is refused.
 */
export const KEV_MAX_BYTES = 32 * 1024 * 1024

const IsoDate = z.string().transform((s, ctx) => {
  const d = isoDatePart(s)
  if (!d) ctx.addIssue({ code: 'custom', message: `not a date: ${JSON.stringify(s).slice(0, 40)}` })
  return d ?? ''
})

export const KevCatalog = z.object({
  title: z.string().optional(),
  catalogVersion: z.string(),
  // 2025-08-25T17:04:19.9796Z: four fractional digits, not the schema's three
  dateReleased: IsoDate,
  count: z.number().int().nonnegative(),
  vulnerabilities: z.array(z.unknown()),
})

export const KevEntry = z.object({
  cveID: z
    .string()
    .trim()
    .regex(/^CVE-\d{4}-\d{4,19}$/i, 'cveID is not a CVE id')
    .transform((s) => s.toUpperCase()),
  vendorProject: z.string(),
  product: z.string(),
  vulnerabilityName: z.string(),
  dateAdded: IsoDate,
  shortDescription: z.string(),
  requiredAction: z.string(),
  dueDate: IsoDate.nullable().optional(),
  // "Known" | "Unknown"; absent means unknown (not known)
  knownRansomwareCampaignUse: z.string().optional(),
  notes: z.string().optional(),
  cwes: z.array(z.string()).optional(),
})

export interface KevRow {
  cve: string
  dateAdded: string
  dueDate: string | null
  knownRansomware: boolean
  vendorProject: string
  product: string
  name: string
}

/** Reads a KEV catalog; its entries go to `onBatch` (duplicates of a CVE are passed on; the store keeps one). */
export const readKev = async (
  input: AsyncIterable<Uint8Array>,
  onBatch: OnBatch<KevRow>,
  o: { batchSize?: number } = {},
): Promise<FeedRead> => {
  const text = await readAllText(decodedBytes(input, KEV_MAX_BYTES))
  if (!text.trim()) throw new FeedFormatError('empty', 'the file is empty')
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new FeedFormatError('not_json', `the file is not valid JSON (${text.length} characters; cut short?)`)
  }
  const catalog = KevCatalog.safeParse(doc)
  if (!catalog.success)
    throw new FeedFormatError(
      'not_kev',
      `not a KEV catalog: ${catalog.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || 'the document'} ${i.message}`)
        .join('; ')}`,
    )
  const skips = skipCounter()
  let batch: KevRow[] = []
  let entries = 0
  for (const [k, raw] of catalog.data.vulnerabilities.entries()) {
    const e = KevEntry.safeParse(raw)
    if (!e.success) {
      const id = (raw as { cveID?: unknown } | null)?.cveID
      skips.skip(
        `vulnerabilities[${k}]${typeof id === 'string' ? ` (${id.slice(0, 30)})` : ''}`,
        e.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; '),
      )
      continue
    }
    batch.push({
      cve: e.data.cveID,
      dateAdded: e.data.dateAdded,
      dueDate: e.data.dueDate || null,
      knownRansomware: e.data.knownRansomwareCampaignUse?.trim().toLowerCase() === 'known',
      vendorProject: e.data.vendorProject,
      product: e.data.product,
      name: e.data.vulnerabilityName,
    })
    entries++
    if (batch.length >= (o.batchSize ?? 2000)) {
      await onBatch(batch)
      batch = []
    }
  }
  if (batch.length) await onBatch(batch)
  return {
    entries,
    skipped: skips.count,
    skippedExamples: skips.examples,
    feedDate: catalog.data.dateReleased,
    version: catalog.data.catalogVersion,
  }
}
