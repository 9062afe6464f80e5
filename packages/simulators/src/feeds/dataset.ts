import { readFileSync } from 'node:fs'
import { gunzipSync, gzipSync } from 'node:zlib'

/**
 * The data the feeds simulator serves.
 *
 * KEV: the real catalog of 2025-08-25 (fixtures/, 1,404 entries), with entries a test or the demo adds on top (newest
 * first, as CISA lists them) or cut down to a few (a "tiny" file).
 *
 * EPSS: a generated daily file in the real layout (shared/upstream/remediation-and-outbound.md §5): the comment line,
 * the header, then one row per CVE with five-decimal score and percentile. The scored CVEs are a fixed universe
 * (`rows` of them, default 250,000, like the real 240,000+) plus any CVE a test or the demo names; scores follow a
 * skewed distribution (most tiny, a few percent above 0.1), drift from day to day (`day`), and percentiles are ranks.
 */

const FIXTURE = new URL('./fixtures/known_exploited_vulnerabilities-2025-08-25.json.gz', import.meta.url)

export interface KevCatalogDoc {
  title: string
  catalogVersion: string
  dateReleased: string
  count: number
  vulnerabilities: Record<string, unknown>[]
}

let realText: string | undefined
let realKev: KevCatalogDoc | undefined
/** The real catalog's bytes, as CISA published them. */
export const realKevText = (): string => {
  realText ??= gunzipSync(readFileSync(FIXTURE)).toString('utf8')
  return realText
}
/** The real catalog (parsed once per process; callers get their own copy). */
export const realKevCatalog = (): KevCatalogDoc => {
  realKev ??= JSON.parse(realKevText()) as KevCatalogDoc
  return structuredClone(realKev)
}

export interface KevAddition {
  cveID: string
  dateAdded: string
  dueDate?: string
  knownRansomware?: boolean
  vendorProject?: string
  product?: string
}

export interface KevOptions {
  /** entries added on top of the real catalog (CISA lists newest first) */
  add?: KevAddition[]
  /** CVEs taken out of the catalog (a correction) */
  remove?: string[]
  /** only the first N entries (an implausibly small file) */
  only?: number
  /** dateReleased (default the real one, with its four fractional digits) */
  dateReleased?: string
}

const entryOf = (a: KevAddition): Record<string, unknown> => ({
  cveID: a.cveID,
  vendorProject: a.vendorProject ?? 'Acme',
  product: a.product ?? 'Widget',
  vulnerabilityName: `${a.vendorProject ?? 'Acme'} ${a.product ?? 'Widget'} Remote Code Execution Vulnerability`,
  dateAdded: a.dateAdded,
  shortDescription: `${a.product ?? 'Widget'} contains a vulnerability that allows remote code execution.`,
  requiredAction:
    'Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.',
  dueDate: a.dueDate ?? a.dateAdded,
  knownRansomwareCampaignUse: a.knownRansomware ? 'Known' : 'Unknown',
  notes: `https://nvd.nist.gov/vuln/detail/${a.cveID}`,
  cwes: ['CWE-94'],
})

export const kevCatalog = (o: KevOptions = {}): KevCatalogDoc => {
  const doc = realKevCatalog()
  const remove = new Set(o.remove ?? [])
  let list = [...(o.add ?? []).map(entryOf), ...doc.vulnerabilities.filter((v) => !remove.has(String(v.cveID)))]
  if (o.only !== undefined) list = list.slice(0, o.only)
  return {
    ...doc,
    ...(o.dateReleased
      ? { dateReleased: o.dateReleased, catalogVersion: o.dateReleased.slice(0, 10).replaceAll('-', '.') }
      : {}),
    count: list.length,
    vulnerabilities: list,
  }
}

/** The catalog as CISA serves it: indented by four spaces, slashes escaped as `\/`. */
export const kevJson = (doc: KevCatalogDoc): string => JSON.stringify(doc, null, 4).replaceAll('/', '\\/')

/** The file for these options: the real bytes when nothing is changed, else the changed catalog written as CISA does. */
export const kevFile = (o: KevOptions = {}): string =>
  o.add?.length || o.remove?.length || o.only !== undefined || o.dateReleased ? kevJson(kevCatalog(o)) : realKevText()

// ------------------------------------------------------------------ EPSS

export interface EpssOptions {
  /** the generated universe of scored CVEs (default 250,000) */
  rows?: number
  /** CVEs scored besides the universe */
  cves?: Iterable<string>
  /** fixed scores, or scores and percentiles (and the CVE is scored even if outside the universe) */
  scores?: Record<string, number | { score: number; percentile: number }>
  /** 0 = the base scores; each further day moves every score a little, as the daily recomputation does */
  day?: number
  /** default 2026-12-01 (+ day) */
  scoreDate?: string
  modelVersion?: string
  seed?: number
}

const fnv = (s: string, seed: number) => {
  let h = 2166136261 ^ seed
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0
  return h / 4294967296
}

/** The k-th CVE of the universe: years 1999–2025 in turn, numbers from 1000 up. */
export const universeCve = (k: number): string => `CVE-${1999 + (k % 27)}-${1000 + Math.floor(k / 27)}`

/** A base score shaped like EPSS: most CVEs near zero, a few percent above 0.1, about one in a hundred above 0.9. */
const baseScore = (u: number) =>
  u < 0.6 ? 0.0001 + u * 0.012 : u < 0.93 ? 0.0073 + (u - 0.6) * 0.28 : 0.1 + ((u - 0.93) / 0.07) * 0.875

const round5 = (x: number) => Math.round(x * 100_000) / 100_000

const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)

export interface EpssFile {
  csv: string
  gzip: Buffer
  rows: number
  scoreDate: string
  /** score and percentile of a CVE in this file */
  score(cve: string): { score: number; percentile: number } | undefined
}

export const epssFile = (o: EpssOptions = {}): EpssFile => {
  const seed = o.seed ?? 42
  const day = o.day ?? 0
  const cves: string[] = []
  const seen = new Set<string>()
  const add = (c: string) => {
    if (!seen.has(c)) {
      seen.add(c)
      cves.push(c)
    }
  }
  for (let k = 0; k < (o.rows ?? 250_000); k++) add(universeCve(k))
  for (const c of o.cves ?? []) add(c.toUpperCase())
  for (const c of Object.keys(o.scores ?? {})) add(c.toUpperCase())
  const scores = new Float64Array(cves.length)
  for (let i = 0; i < cves.length; i++) {
    const c = cves[i]!
    const fixed = o.scores?.[c]
    if (fixed !== undefined) {
      scores[i] = typeof fixed === 'number' ? fixed : fixed.score
      continue
    }
    const base = baseScore(fnv(c, seed))
    const drift = day === 0 ? 1 : 1 + 0.3 * (fnv(c, seed + day * 7919) - 0.5)
    scores[i] = Math.min(0.99999, Math.max(0.00001, round5(base * drift)))
  }
  const sorted = Float64Array.from(scores).sort()
  // percentile: the share of scored CVEs at or below this score
  const upper = (x: number) => {
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (sorted[mid]! <= x) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const scoreDate = o.scoreDate ?? addDays('2026-12-01', day)
  const lines = [
    `#model_version:${o.modelVersion ?? 'v2025.03.14'},score_date:${scoreDate}T12:55:00Z`,
    'cve,epss,percentile',
  ]
  const byCve = new Map<string, number>()
  const pinned = (c: string) => {
    const f = o.scores?.[c]
    return typeof f === 'object' ? f.percentile : undefined
  }
  const percentile = (i: number) => pinned(cves[i]!) ?? round5(upper(scores[i]!) / sorted.length)
  for (let i = 0; i < cves.length; i++) {
    const pct = percentile(i)
    lines.push(`${cves[i]},${scores[i]!.toFixed(5)},${pct.toFixed(5)}`)
    byCve.set(cves[i]!, i)
  }
  const csv = `${lines.join('\n')}\n`
  return {
    csv,
    gzip: gzipSync(csv),
    rows: cves.length,
    scoreDate,
    score: (cve) => {
      const i = byCve.get(cve.toUpperCase())
      if (i === undefined) return undefined
      return { score: Number(scores[i]!.toFixed(5)), percentile: percentile(i) }
    },
  }
}
