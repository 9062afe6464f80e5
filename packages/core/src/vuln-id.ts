const CVE_RE = /\bCVE-(\d{4})-(\d{4,})\b/i

/** Canonical CVE id (upper case) when the text is or contains exactly a CVE id, else null. */
export const asCve = (id: unknown): string | null => {
  if (typeof id !== 'string') return null
  const m = CVE_RE.exec(id.trim())
  return m ? `CVE-${m[1]}-${m[2]}` : null
}

export const isCve = (id: unknown): boolean => typeof id === 'string' && /^CVE-\d{4}-\d{4,}$/i.test(id.trim())

/** Normalises an advisory id's case the way its database writes it (GHSA-xxxx-xxxx-xxxx lower-case body). */
export const normaliseAdvisoryId = (id: string): string => {
  const t = id.trim()
  if (isCve(t)) return t.toUpperCase()
  const ghsa = /^ghsa-([a-z0-9]{4})-([a-z0-9]{4})-([a-z0-9]{4})$/i.exec(t)
  if (ghsa) return `GHSA-${ghsa[1]!.toLowerCase()}-${ghsa[2]!.toLowerCase()}-${ghsa[3]!.toLowerCase()}`
  return t
}

/**
 * Splits a bag of vulnerability ids (CVE, GHSA, vendor ids) into the CVEs it names and the other aliases.
 * Every id that is not a CVE folds onto the CVEs as an alias, so GHSA-only duplicates never become their own issue.
 */
export const splitVulnIds = (ids: Iterable<unknown>): { cves: string[]; aliases: string[] } => {
  const cves = new Set<string>()
  const aliases = new Set<string>()
  for (const raw of ids) {
    if (typeof raw !== 'string' || raw.trim() === '') continue
    const cve = isCve(raw) ? raw.trim().toUpperCase() : null
    if (cve) cves.add(cve)
    else aliases.add(normaliseAdvisoryId(raw))
  }
  return { cves: [...cves].sort(), aliases: [...aliases].sort() }
}
