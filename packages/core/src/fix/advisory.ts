import type { VersionScheme } from './versions.ts'

/** An affected range as an advisory gives it (OSV events): from `introduced` up to `fixed` (excluded) or `lastAffected`. */
export interface AffectedRange {
  introduced?: string | undefined
  fixed?: string | undefined
  lastAffected?: string | undefined
}

/** What one source says about one CVE of a package: its fixed versions and, when it gives them, affected ranges. */
export interface AdvisoryEvidence {
  cve: string
  /** who says it, as the plan's explanation names it (`OX Security`, `Endor Labs`) */
  source: string
  fixedVersions: string[]
  affectedRanges?: AffectedRange[] | undefined
  /**
   * false: an advisory of the package known from elsewhere (another target) that no source reports on this installed
   * version: the chosen version must be free of it too, but it is not counted as fixed or remaining
   */
  reported?: boolean | undefined
}

/** How a source's data decides whether a version is affected. */
export type AdvisoryModel =
  | { kind: 'ranges'; ranges: AffectedRange[] }
  | { kind: 'fixed'; fixes: { version: string; line: number[] }[] }
  | { kind: 'unknown' }

/**
 * A fixed version as scanners write it → a version: `1.2.3`, `>= 1.2.3` and the lower bound of `>= 2.10.0, < 2.10.3`
 * (Xray's ranges of fixed versions); an upper bound alone (`< 1.2.3`) names no fix.
 */
export const fixedVersionOf = (s: VersionScheme, text: string): string | undefined => {
  const first = text.split(',')[0]!.trim()
  if (/^</.test(first)) return undefined
  const v = first.replace(/^(>=|≥|=|==|\[|v(?=\d))\s*/, '').trim()
  return s.valid(v) ? v : undefined
}

const prefixEqual = (a: number[], b: number[], n: number) => {
  for (let i = 0; i < n; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return false
  return true
}

/**
 * The model of one source's data. With affected ranges, those. With fixed versions only, each fixed version is the
 * first fixed release of its line, the line being the shortest release prefix no other fixed version shares
 * (`1.2.5` and `1.3.2` → lines 1.2 and 1.3; `4.17.21` alone → line 4): a version is fixed from its line's fix up,
 * and at or above the highest fix. Without either, nothing is known to be fixed.
 */
export const advisoryModel = (s: VersionScheme, a: AdvisoryEvidence): AdvisoryModel => {
  const ranges = (a.affectedRanges ?? []).filter(
    (r) =>
      [r.introduced, r.fixed, r.lastAffected].every((v) => v === undefined || v === '0' || s.valid(v)) &&
      (r.introduced !== undefined || r.fixed !== undefined || r.lastAffected !== undefined),
  )
  if (ranges.length > 0) return { kind: 'ranges', ranges }
  const versions = [...new Set(a.fixedVersions.map((f) => fixedVersionOf(s, f)).filter((v): v is string => !!v))].sort(
    s.compare,
  )
  if (versions.length === 0) return { kind: 'unknown' }
  const releases = versions.map((v) => s.release(v))
  const fixes = versions.map((version, i) => {
    const r = releases[i]!
    let n = 1
    while (n < r.length && releases.some((o, j) => j !== i && prefixEqual(o, r, n))) n++
    return { version, line: r.slice(0, n) }
  })
  return { kind: 'fixed', fixes }
}

/** Whether a version is affected according to one source's model. */
export const affectedBy = (s: VersionScheme, m: AdvisoryModel, v: string): boolean => {
  switch (m.kind) {
    case 'unknown':
      return true
    case 'ranges':
      return m.ranges.some((r) => {
        if (r.introduced && r.introduced !== '0' && s.compare(v, r.introduced) < 0) return false
        if (r.fixed) return s.compare(v, r.fixed) < 0
        if (r.lastAffected) return s.compare(v, r.lastAffected) <= 0
        return true
      })
    case 'fixed': {
      const highest = m.fixes.at(-1)!
      if (s.compare(v, highest.version) >= 0) return false
      const release = s.release(v)
      return !m.fixes.some(
        (f) => prefixEqual(release, f.line, f.line.length) && release.length > 0 && s.compare(v, f.version) >= 0,
      )
    }
    default: {
      const never: never = m
      throw new Error(`unknown advisory model ${JSON.stringify(never)}`)
    }
  }
}
