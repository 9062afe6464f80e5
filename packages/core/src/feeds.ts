import { isCve } from './vuln-id.ts'

/**
 * The public prioritisation feeds: the CISA Known Exploited Vulnerabilities catalog and FIRST EPSS. Both are keyed
 * by CVE; an issue is matched through its CVE and every CVE among its aliases.
 */
export const FEED_NAMES = ['kev', 'epss'] as const
export type FeedName = (typeof FEED_NAMES)[number]

export const isFeedName = (s: string): s is FeedName => (FEED_NAMES as readonly string[]).includes(s)

/** A CVE's entry in the KEV catalog, as an issue carries it. Dates are `YYYY-MM-DD`. */
export interface KevValue {
  dateAdded: string
  dueDate: string | null
  knownRansomware: boolean
}

/** A CVE's EPSS score: probability of exploitation in the next 30 days, its percentile, and the feed's score date. */
export interface EpssValue {
  score: number
  percentile: number
  date: string
}

/** What the feeds say about one issue; null where the feed has no entry for any of its CVEs. */
export interface FeedEvidence {
  kev: KevValue | null
  epss: EpssValue | null
  /** whether a KEV catalog is loaded at all: only then does "not listed" mean something */
  kevLoaded: boolean
}

export const NO_FEED_EVIDENCE: FeedEvidence = { kev: null, epss: null, kevLoaded: false }

/** The CVEs an issue is looked up by in the feeds: its own and every CVE among its aliases (upper case, unique). */
export const feedKeys = (cve: string, aliases: readonly string[] = []): string[] => {
  const keys = new Set<string>([cve.trim().toUpperCase()])
  for (const a of aliases) if (isCve(a)) keys.add(a.trim().toUpperCase())
  return [...keys]
}

const earlierListing = (a: KevValue, b: KevValue): KevValue => {
  const first = b.dateAdded < a.dateAdded ? b : a
  return { ...first, knownRansomware: a.knownRansomware || b.knownRansomware }
}

/**
 * The feed evidence of an issue from the entries of its keys: listed in KEV when any of its CVEs is (the earliest
 * listing wins, known ransomware use when any says so); the highest EPSS score of its CVEs.
 */
export const feedEvidence = (
  keys: readonly string[],
  kev: ReadonlyMap<string, KevValue>,
  epss: ReadonlyMap<string, EpssValue>,
  kevLoaded: boolean,
): FeedEvidence => {
  let k: KevValue | null = null
  let e: EpssValue | null = null
  for (const key of keys) {
    const kv = kev.get(key)
    if (kv) k = k ? earlierListing(k, kv) : { ...kv }
    const ev = epss.get(key)
    if (ev && (!e || ev.score > e.score)) e = { ...ev }
  }
  return { kev: k, epss: e, kevLoaded }
}

/** Same evidence (what an issue stores vs what the feeds say now)? */
export const sameKev = (a: KevValue | null, b: KevValue | null): boolean =>
  a === b ||
  (a !== null &&
    b !== null &&
    a.dateAdded === b.dateAdded &&
    a.dueDate === b.dueDate &&
    a.knownRansomware === b.knownRansomware)

export const sameEpss = (a: EpssValue | null, b: EpssValue | null): boolean =>
  a === b || (a !== null && b !== null && a.score === b.score && a.percentile === b.percentile && a.date === b.date)

// ------------------------------------------------------------------ wording

/** An EPSS score as people read it: two decimals, or two significant digits below 0.01 (0.43, 0.0012). */
export const formatEpss = (score: number): string =>
  score >= 0.01 || score === 0 ? score.toFixed(2) : String(Number(score.toPrecision(2)))

const ordinal = (n: number): string => {
  const tens = n % 100
  if (tens >= 11 && tens <= 13) return `${n}th`
  return `${n}${({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th'}`
}

/** A percentile (0..1) as "97th percentile" (rounded down: 0.979 is the 97th). */
export const formatPercentile = (p: number): string =>
  `${ordinal(Math.floor(Math.min(1, Math.max(0, p)) * 100))} percentile`

/** "EPSS 0.43 (97th percentile), 2026-12-01"; without a date or percentile when the source gives none. */
export const describeEpss = (score: number, percentile?: number, date?: string): string =>
  `EPSS ${formatEpss(score)}${percentile === undefined ? '' : ` (${formatPercentile(percentile)})`}${date ? `, ${date}` : ''}`

/**
 * The feed's EPSS value as a factor states it: the score, its percentile and date, and each scanner whose own score
 * reads differently ("EPSS 0.43 (97th percentile), 2026-12-01; endor says 0.38"). `says`: each scanner's score,
 * sorted by kind. Null (the CVE left the feed and its issue waits for its recompute): said so.
 */
export const describeFeedEpss = (epss: EpssValue | null, says: readonly (readonly [string, number])[]): string => {
  if (!epss) return 'EPSS: no longer scored by FIRST'
  const reference = formatEpss(epss.score)
  const differ = says.filter(([, s]) => formatEpss(s) !== reference).map(([kind, s]) => `${kind} says ${formatEpss(s)}`)
  return `${describeEpss(epss.score, epss.percentile, epss.date)}${differ.length ? `; ${differ.join(', ')}` : ''}`
}

/**
 * What an issue stores in place of the feed's EPSS value, in its factor text and its sentence: a mark holding only
 * what does not change with the daily file (the scanners' own scores). The value is joined when the issue is read
 * (`renderEpssMarks`), so a daily file that moves a score without moving it across a policy threshold rewrites no
 * issue.
 */
export const epssMark = (says: readonly (readonly [string, number])[]): string =>
  `{{epss${says.map(([kind, s]) => ` ${encodeURIComponent(kind)}=${s}`).join('')}}}`

const EPSS_MARKS = /\{\{epss((?: [^\s=}]+=[-+.e0-9]+)*)\}\}/g

const parseSays = (args: string): [string, number][] =>
  args
    .trim()
    .split(' ')
    .filter((a) => a !== '')
    .map((a) => {
      const at = a.lastIndexOf('=')
      return [decodeURIComponent(a.slice(0, at)), Number(a.slice(at + 1))]
    })

/** A stored factor text or sentence with the feed's EPSS value in place of its marks (the value read with it). */
export const renderEpssMarks = (text: string, epss: EpssValue | null): string =>
  text.includes('{{epss')
    ? text.replace(EPSS_MARKS, (_, args: string) => describeFeedEpss(epss, parseSays(args)))
    : text

/** "listed in CISA KEV since 2024-05-02 (known ransomware use)" */
export const describeKev = (k: KevValue): string =>
  `listed in CISA KEV since ${k.dateAdded}${k.knownRansomware ? ' (known ransomware use)' : ''}`
