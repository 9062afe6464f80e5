import { type AdvisoryEvidence, type AdvisoryModel, advisoryModel, affectedBy, fixedVersionOf } from './advisory.ts'
import { releaseLine, type VersionScheme, versionScheme } from './versions.ts'

/** A released version as the registry lists it. */
export interface AvailableVersion {
  version: string
  /** npm's deprecation message (or true) */
  deprecated?: string | boolean | undefined
  /** PyPI's yanked flag */
  yanked?: boolean | undefined
}

export interface ChoiceInput {
  ecosystem: string
  installedVersion: string | null
  advisories: AdvisoryEvidence[]
  /** the versions the registry lists; null without registry access (the scanners' fixed versions are used) */
  available: AvailableVersion[] | null
  /** why the registry was not used (shown in the explanation) */
  registryNote?: string | undefined
}

export interface Remaining {
  cve: string
  reason: string
}

export interface VersionChoice {
  fixVersion: string | null
  /** the CVEs the fix version is free of */
  fixes: string[]
  remaining: Remaining[]
  /** the fix leaves the installed release line (a major upgrade, or a minor one below 1.0) */
  majorBump: boolean
  /** where the candidate versions came from */
  versionSource: 'registry' | 'scanners'
  explanation: string
}

const list = (xs: string[]) => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1) ?? ''}`)
/** a list a reader can take in: the first few, then how many more */
const some = (xs: string[], max = 5) =>
  xs.length <= max ? list(xs) : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

interface CveModels {
  cve: string
  reported: boolean
  models: { source: string; model: AdvisoryModel; fixed: string[] }[]
}

/**
 * The version to move to (pure): the lowest released version above the installed one that no known advisory of the
 * package affects (every CVE, from every source: a version is free of a CVE only when every source's data says so),
 * never a pre-release, a deprecated or a yanked version. Lower versions come first, so the installed release line
 * wins whenever a version on it fixes everything; leaving the line is flagged. When no version fixes everything, the
 * one that fixes the most (the lowest of those) is chosen and what remains is named with its reason.
 */
export const chooseFixVersion = (input: ChoiceInput): VersionChoice => {
  const cves = [...new Set(input.advisories.filter((a) => a.reported !== false).map((a) => a.cve))].sort()
  const none = (reason: string, explanation: string): VersionChoice => ({
    fixVersion: null,
    fixes: [],
    remaining: cves.map((cve) => ({ cve, reason })),
    majorBump: false,
    versionSource: input.available ? 'registry' : 'scanners',
    explanation,
  })
  const s = versionScheme(input.ecosystem)
  if (!s)
    return none(
      `vulnsync cannot order ${input.ecosystem} versions`,
      `vulnsync plans upgrades for npm, PyPI and Maven packages; ${input.ecosystem} versions are not ordered here, so no version is proposed.`,
    )
  const installed = input.installedVersion?.trim()
  if (!installed || !s.valid(installed))
    return none(
      'the installed version is unknown',
      installed
        ? `The installed version ${JSON.stringify(installed)} is not a valid ${s.name} version, so no upgrade above it can be chosen.`
        : 'No source says which version is installed, so no upgrade above it can be chosen.',
    )

  // one model per (CVE, source): a version is free of the CVE only when every source's data says so
  const byCve = new Map<string, CveModels>()
  for (const a of input.advisories) {
    const e = byCve.get(a.cve) ?? { cve: a.cve, reported: false, models: [] }
    e.reported ||= a.reported !== false
    e.models.push({ source: a.source, model: advisoryModel(s, a), fixed: a.fixedVersions })
    byCve.set(a.cve, e)
  }
  const affects = (c: CveModels, v: string) => c.models.some((m) => affectedBy(s, m.model, v))
  const remaining: Remaining[] = []
  const reported = [...byCve.values()].filter((c) => c.reported)
  // advisories known from elsewhere: the chosen version must be free of those that say where they apply
  const known = [...byCve.values()].filter((c) => !c.reported && c.models.some((m) => m.model.kind !== 'unknown'))
  const unknown = reported.filter((c) => c.models.every((m) => m.model.kind === 'unknown'))
  for (const c of unknown)
    remaining.push({ cve: c.cve, reason: 'no source names a fixed version or an affected range for it' })
  // the data must explain why the installed version is affected; else no version can be shown to fix it
  const inconsistent = reported.filter((c) => !unknown.includes(c) && !affects(c, installed))
  for (const c of inconsistent)
    remaining.push({
      cve: c.cve,
      reason: `the scanners report ${installed} as affected, yet their data (fixed in ${list([...new Set(c.models.flatMap((m) => m.fixed))]) || 'no version'}) says it is not: vulnsync cannot tell which version fixes it`,
    })
  const target = reported.filter((c) => !unknown.includes(c) && !inconsistent.includes(c))

  // candidates: released versions above the installed one
  const skipped = { pre: 0, deprecated: 0, yanked: 0 }
  const excluded = new Map<string, string>()
  let candidates: string[]
  if (input.available) {
    const seen = new Set<string>()
    candidates = []
    for (const a of input.available) {
      if (!s.valid(a.version) || seen.has(a.version) || s.compare(a.version, installed) <= 0) continue
      seen.add(a.version)
      if (s.isPrerelease(a.version)) {
        skipped.pre++
        excluded.set(a.version, 'a pre-release')
      } else if (a.yanked) {
        skipped.yanked++
        excluded.set(a.version, 'yanked')
      } else if (a.deprecated) {
        skipped.deprecated++
        excluded.set(a.version, 'deprecated')
      } else candidates.push(a.version)
    }
  } else {
    const named = input.advisories.flatMap((a) => a.fixedVersions.map((f) => fixedVersionOf(s, f)))
    candidates = [...new Set(named.filter((v): v is string => !!v && s.compare(v, installed) > 0))].filter((v) => {
      if (!s.isPrerelease(v)) return true
      skipped.pre++
      excluded.set(v, 'a pre-release')
      return false
    })
  }
  candidates.sort(s.compare)

  // the most reported CVEs fixed, then the fewest known ones introduced, then the lowest version
  let best: { version: string; fixed: CveModels[]; hit: number } | null = null
  for (const v of candidates) {
    const fixed = target.filter((c) => !affects(c, v))
    const hit = known.filter((c) => affects(c, v)).length
    if (!best || fixed.length > best.fixed.length || (fixed.length === best.fixed.length && hit < best.hit))
      best = { version: v, fixed, hit }
    if (fixed.length === target.length && hit === 0) break
  }
  if (best && best.fixed.length === 0) best = null
  const fixVersion = best?.version ?? null
  for (const c of target) {
    if (best?.fixed.includes(c)) continue
    const alone = candidates.find((v) => !affects(c, v))
    const fixes = [...new Set(c.models.flatMap((m) => m.fixed))]
    const excludedFix = fixes.map((f) => fixedVersionOf(s, f)).find((f) => f && excluded.has(f))
    remaining.push({
      cve: c.cve,
      reason: alone
        ? `fixed from ${alone}, but no released version fixes it together with the others${fixVersion ? ` (${fixVersion} fixes more of them)` : ''}`
        : excludedFix
          ? `its fix ${excludedFix} is ${excluded.get(excludedFix)}, and no later released version is free of it`
          : `no released version above ${installed} is free of it${fixes.length ? ` (fixed in ${list(fixes)}${input.available ? ', not released on the registry' : ''})` : ''}`,
    })
  }
  remaining.sort((a, b) => (a.cve < b.cve ? -1 : a.cve > b.cve ? 1 : 0))
  const fixesList = (best?.fixed ?? []).map((c) => c.cve).sort()
  const majorBump = fixVersion !== null && releaseLine(s, fixVersion) !== releaseLine(s, installed)
  return {
    fixVersion,
    fixes: fixesList,
    remaining,
    majorBump,
    versionSource: input.available ? 'registry' : 'scanners',
    explanation: explain(s, input, installed, fixVersion, fixesList, remaining, majorBump, skipped, byCve, {
      avoided: known.map((c) => c.cve).sort(),
      hit: best?.hit ?? 0,
    }),
  }
}

const explain = (
  s: VersionScheme,
  input: ChoiceInput,
  installed: string,
  fixVersion: string | null,
  fixes: string[],
  remaining: Remaining[],
  majorBump: boolean,
  skipped: { pre: number; deprecated: number; yanked: number },
  byCve: Map<string, CveModels>,
  known: { avoided: string[]; hit: number },
): string => {
  const parts: string[] = []
  const line = releaseLine(s, installed)
  const lineName = line.startsWith('0.') ? line : `${line}.x`
  if (fixVersion) {
    parts.push(
      `${installed} → ${fixVersion}: the lowest released version above ${installed} that ${fixes.length === 1 ? `${fixes[0]} does not affect` : `none of ${list(fixes)} affects`}${remaining.length ? ' (the most that one version fixes)' : ''}.`,
    )
    parts.push(
      majorBump
        ? `No release on the installed ${lineName} line fixes ${fixes.length === 1 ? 'it' : 'them'}: this is a major upgrade, check the changelog for breaking changes.`
        : `It stays on the installed ${lineName} line.`,
    )
  } else
    parts.push(
      `No released version above ${installed} fixes any of ${list(
        [...byCve.values()]
          .filter((c) => c.reported)
          .map((c) => c.cve)
          .sort(),
      )}.`,
    )
  if (known.avoided.length)
    parts.push(
      known.hit
        ? `Every candidate is affected by an advisory known from other targets (${some(known.avoided)}): the one affected by the fewest was chosen.`
        : `It is also free of ${some(known.avoided)}, known on other targets.`,
    )
  const source = input.available
    ? `Versions from the ${s.ecosystem === 'npm' ? 'npm registry' : s.ecosystem === 'pypi' ? 'PyPI' : 'Maven repository'}, ordered by ${s.name}`
    : `Without registry access${input.registryNote ? ` (${input.registryNote})` : ''}, only the fixed versions the scanners name were considered, ordered by ${s.name}; a release between them may be missed`
  const never = [
    skipped.pre ? plural(skipped.pre, 'pre-release') : '',
    skipped.deprecated ? plural(skipped.deprecated, 'deprecated version') : '',
    skipped.yanked ? plural(skipped.yanked, 'yanked version') : '',
  ].filter(Boolean)
  parts.push(`${source}${never.length ? `; never chosen: ${list(never)}` : ''}.`)
  // the CVEs of this target first: a capped list never hides them behind other targets' advisories
  const ours = [...byCve.values()].sort((a, b) => Number(b.reported) - Number(a.reported) || a.cve.localeCompare(b.cve))
  const derived = ours.filter((c) => c.models.some((m) => m.model.kind === 'fixed')).map((c) => c.cve)
  if (derived.length)
    parts.push(
      `No affected ranges were given for ${some(derived)}: from the fixed versions alone, a version counts as fixed from a fixed version up on that version's release line, and at or above the highest fixed version.`,
    )
  const ranged = ours
    .filter((c) => c.models.some((m) => m.model.kind === 'ranges'))
    .map((c) => `${c.cve} (${c.models.filter((m) => m.model.kind === 'ranges').map((m) => m.source)[0]})`)
  if (ranged.length) parts.push(`Affected ranges used for ${some(ranged)}.`)
  for (const r of remaining) parts.push(`${r.cve} remains: ${r.reason}.`)
  return parts.join(' ')
}
