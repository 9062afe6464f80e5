import {
  type AffectedRange,
  canonicalRepo,
  type FindingSignals,
  formatPurl,
  type MappedFinding,
  type MapResult,
  normaliseSeverity,
  packageDisplayName,
  packagePurl,
  purlTypeOf,
  type ScannerOwnership,
  type Severity,
  severityFromCvss,
  splitVulnIds,
} from '@vulnsync/core'
import { ENDOR_DEFAULT_APP_URL } from './config.ts'
import type { EndorFinding, EndorProject, EndorProjectInfo, EndorRaw } from './raw.ts'

export const CATEGORY_VULNERABILITY = 'FINDING_CATEGORY_VULNERABILITY'
export const CONTEXT_MAIN = 'CONTEXT_TYPE_MAIN'

// ------------------------------------------------------------------------------------------------ packages

/**
 * `npm://@babel/core@7.8.4` → purl parts. The version follows the LAST `@` after the last `/` (npm scopes start with
 * `@`). Falls back on the finding's own fields (target_dependency_name/version, spec.ecosystem).
 */
export const endorPackage = (
  spec: EndorFinding['spec'],
): { purl: string; name: string; ecosystem: string; version?: string | undefined } | null => {
  let eco: string | undefined
  let body: string | undefined
  const pkgName = spec.target_dependency_package_name?.trim()
  if (pkgName) {
    const m = /^([A-Za-z0-9_.+-]+):\/\/(.+)$/.exec(pkgName)
    if (m) {
      eco = m[1]
      body = m[2]
    } else body = pkgName
  }
  let name: string | undefined
  let version: string | undefined
  if (body) {
    const at = body.lastIndexOf('@')
    if (at > 0 && at > body.lastIndexOf('/')) {
      name = body.slice(0, at)
      version = body.slice(at + 1) || undefined
    } else name = body
  }
  name ||= spec.target_dependency_name?.trim() || undefined
  version ||= spec.target_dependency_version?.trim() || undefined
  if (!name) return null
  // the ecosystem words of Endor are in the one table of packages/core (Endor's `container` is a docker image)
  const purl = packagePurl(purlTypeOf(eco) ?? purlTypeOf(spec.ecosystem) ?? 'generic', name, version)
  let formatted: string
  try {
    formatted = formatPurl(purl)
  } catch {
    return null
  }
  return { purl: formatted, name: packageDisplayName(purl), ecosystem: purl.type, version }
}

// ------------------------------------------------------------------------------------------------ projects

const looksLikeRepoUrl = (s: string | null | undefined): s is string =>
  typeof s === 'string' && (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^[^@\s/]+@[^:\s]+:.+/.test(s))

/** The project facts a finding needs: repository URL as Endor gave it, a display name, its namespace. Pure. */
export const projectInfo = (p: EndorProject): EndorProjectInfo => {
  const git = p.spec?.git
  const url =
    git?.http_clone_url?.trim() ||
    git?.git_clone_url?.trim() ||
    git?.web_url?.trim() ||
    (looksLikeRepoUrl(p.meta?.name) ? p.meta!.name!.trim() : undefined) ||
    (looksLikeRepoUrl(p.spec?.internal_reference_key) ? p.spec!.internal_reference_key!.trim() : undefined)
  const name = git?.full_name?.trim() || canonicalRepo(url)?.fullName || p.meta?.name?.trim() || p.uuid
  return {
    uuid: p.uuid,
    namespace: p.tenant_meta?.namespace ?? undefined,
    url,
    name,
    platformSource: p.spec?.platform_source ?? undefined,
    ...(p.meta?.tags?.length ? { tags: p.meta.tags } : {}),
  }
}

/** What Endor says about ownership: the finding's `code_owners` (owners, labels) and its project's tags. */
export const endorOwnership = (
  f: EndorFinding,
  project: EndorProjectInfo | null | undefined,
): ScannerOwnership | undefined => {
  const clean = (xs: readonly string[] | null | undefined) => (xs ?? []).map((x) => x.trim()).filter(Boolean)
  const owners = clean(f.spec.code_owners?.owners)
  const tags = [...new Set([...clean(f.spec.code_owners?.labels), ...clean(project?.tags)])]
  if (owners.length === 0 && tags.length === 0) return undefined
  return { label: 'Endor Labs', ...(owners.length ? { owners } : {}), ...(tags.length ? { tags } : {}) }
}

// ------------------------------------------------------------------------------------------------ helpers

const has = (tags: readonly string[], t: string) => tags.includes(`FINDING_TAGS_${t}`)

const reach = (
  tags: readonly string[],
  dim: 'FUNCTION' | 'DEPENDENCY',
): 'reachable' | 'unreachable' | 'unknown' | undefined => {
  if (has(tags, `REACHABLE_${dim}`)) return 'reachable'
  if (has(tags, `UNREACHABLE_${dim}`)) return 'unreachable'
  if (has(tags, `POTENTIALLY_REACHABLE_${dim}`)) return 'unknown'
  return undefined
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

/** RFC 3339 with 0–9 fractional digits (Endor emits `…21.853Z` and `…03.830911988Z`). */
export const parseEndorTime = (s: string | null | undefined): Date | null => {
  if (!s) return null
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(s.trim())
  if (!m) {
    const t = Date.parse(s)
    return Number.isFinite(t) ? new Date(t) : null
  }
  const frac = m[3] ? `.${m[3].slice(0, 3).padEnd(3, '0')}` : ''
  const t = Date.parse(`${m[1]}T${m[2]}${frac}${(m[4] ?? 'Z').toUpperCase()}`)
  if (!Number.isFinite(t) || t <= 0) return null // 0001-01-01 zero values count as "no time"
  return new Date(t)
}

const uniq = (xs: Iterable<string>): string[] => [...new Set(xs)]

/** Fixed versions from the advisory's affected ranges (for this package when named), then the proposed version. */
const fixedVersions = (f: EndorFinding, depName: string | undefined): string[] => {
  const affected = f.spec.finding_metadata?.vulnerability?.spec?.affected ?? []
  const norm = (s: string | null | undefined) => (s ?? '').trim().toLowerCase()
  const forPkg = affected.filter((a) => !a.package?.name || !depName || norm(a.package.name) === norm(depName))
  const source = forPkg.length ? forPkg : affected
  const out: string[] = []
  for (const a of source)
    for (const r of a.ranges ?? []) if (r.fixed?.trim() && r.type !== 'RANGE_TYPE_GIT') out.push(r.fixed.trim())
  if (out.length === 0 && f.spec.proposed_version && !has(f.spec.finding_tags ?? [], 'UNFIXABLE'))
    out.push(f.spec.proposed_version.trim())
  return uniq(out)
}

/** The advisory's affected ranges for this package (OSV events; git ranges left out). */
const affectedRanges = (f: EndorFinding, depName: string | undefined): AffectedRange[] | undefined => {
  const affected = f.spec.finding_metadata?.vulnerability?.spec?.affected ?? []
  const norm = (s: string | null | undefined) => (s ?? '').trim().toLowerCase()
  const forPkg = affected.filter((a) => !a.package?.name || !depName || norm(a.package.name) === norm(depName))
  const out: AffectedRange[] = []
  for (const a of forPkg)
    for (const r of a.ranges ?? []) {
      if (r.type === 'RANGE_TYPE_GIT') continue
      const range = strip({
        introduced: r.introduced?.trim(),
        fixed: r.fixed?.trim(),
        lastAffected: r.last_affected?.trim(),
      }) as AffectedRange
      if (Object.keys(range).length) out.push(range)
    }
  return out.length ? out : undefined
}

const locationUrls = (v: EndorFinding['spec']['location_urls']): Array<{ path?: string; url: string }> => {
  if (!v) return []
  if (Array.isArray(v)) return v.filter((u) => typeof u === 'string' && u).map((url) => ({ url }))
  return Object.entries(v).map(([path, url]) => ({ path, url }))
}

const strip = <T extends Record<string, unknown>>(o: T): Partial<T> => {
  const out: Record<string, unknown> = {}
  // for…in over the plain objects map builds: no [key, value] array per property (a third of Object.entries' time)
  for (const k in o) {
    const v = o[k]
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v) && v.length === 0) continue
    out[k] = v
  }
  return out as Partial<T>
}

// ------------------------------------------------------------------------------------------------ map

/**
 * Pure: one Endor finding (with its project) → one MappedFinding per CVE, or a Skip with its reason.
 * Rules (endor.md §7.2): category Vulnerability only, main context only, CVE ids from the advisory aliases,
 * the advisory id, spec.extra_key and the Endor CVE record; everything else (GHSA, PYSEC …) becomes an alias.
 */
export const mapEndorFinding = (raw: EndorRaw): MapResult => {
  const f = raw.finding
  const spec = f.spec
  const categories = spec.finding_categories ?? []
  if (!categories.includes(CATEGORY_VULNERABILITY))
    return { skip: 'not_vulnerability', detail: categories.join(',') || 'no category' }
  const ctxType = f.context?.type
  if (ctxType && ctxType !== CONTEXT_MAIN)
    return { skip: 'non_main_context', detail: `${ctxType}${f.context?.id ? ` ${f.context.id}` : ''}` }

  const vuln = f.spec.finding_metadata?.vulnerability
  const vspec = vuln?.spec
  const advisoryId = vuln?.meta?.name ?? undefined
  const descId = /^([A-Z]+-[A-Za-z0-9-]+):/.exec(f.meta?.description ?? '')?.[1]
  const ids = splitVulnIds([
    ...(vspec?.aliases ?? []),
    advisoryId,
    spec.extra_key,
    vspec?.raw?.endor_vulnerability?.cve_id,
    descId,
  ])
  if (ids.cves.length === 0) return { skip: 'no_cve', detail: advisoryId || spec.extra_key || descId || undefined }

  const pkg = endorPackage(spec)
  if (!pkg) return { skip: 'no_package', detail: 'finding names no dependency package' }

  const tags = spec.finding_tags ?? []
  const v3 = vspec?.cvss_v3_severity
  const v4 = vspec?.cvss_v4_severity
  const cvssScore = num(v3?.score) ?? num(v4?.base_score)
  const cvss =
    num(v3?.score) !== undefined || v3?.vector
      ? {
          score: num(v3?.score),
          vector: v3?.vector ?? undefined,
          version: /^CVSS:(\d\.\d)/.exec(v3?.vector ?? '')?.[1] ?? '3',
        }
      : num(v4?.base_score) !== undefined || v4?.vector
        ? { score: num(v4?.base_score), vector: v4?.vector ?? undefined, version: '4.0' }
        : undefined
  const level = spec.level ?? ''
  let severity: Severity | null = level && level !== 'FINDING_LEVEL_UNSPECIFIED' ? normaliseSeverity(level) : null
  if (!severity) severity = cvssScore !== undefined ? severityFromCvss(cvssScore) : (normaliseSeverity(level) ?? 'info')

  const epssProb = num(vspec?.epss_score?.probability_score) ?? num(vspec?.raw?.epss_record?.probability)
  const epssPct = num(vspec?.epss_score?.percentile_score) ?? num(vspec?.raw?.epss_record?.percentile)
  const kevRecord = vspec?.raw?.kev_record ?? undefined
  const kevListed = Boolean(kevRecord) || has(tags, 'EXPLOITED')
  const fixed = fixedVersions(f, spec.target_dependency_name ?? undefined)
  const fixAvailable =
    has(tags, 'FIX_AVAILABLE') || has(tags, 'FIXABLE')
      ? true
      : has(tags, 'UNFIXABLE')
        ? false
        : fixed.length
          ? true
          : undefined
  const direct = has(tags, 'DIRECT') ? true : has(tags, 'TRANSITIVE') ? false : undefined
  const testOnly = has(tags, 'TEST') ? true : has(tags, 'NORMAL') ? false : undefined
  const fnReach = reach(tags, 'FUNCTION')
  const depReach = reach(tags, 'DEPENDENCY')

  const signals: FindingSignals = strip({
    epss: epssProb !== undefined ? { score: epssProb, percentile: epssPct } : undefined,
    // Endor tags a finding FINDING_TAGS_EXPLOITED when its CVE is in CISA KEV: a tagged record without it is "not listed"
    kev: kevListed
      ? {
          listed: true,
          dateAdded: kevRecord?.date_added ?? kevRecord?.dateAdded ?? undefined,
          source: 'CISA KEV (Endor Labs)',
        }
      : tags.length > 0
        ? { listed: false, source: 'CISA KEV (Endor Labs)' }
        : undefined,
    reachability: fnReach || depReach ? strip({ function: fnReach, dependency: depReach }) : undefined,
    fixAvailable,
    direct,
    testOnly,
  }) as FindingSignals

  const excepted = has(tags, 'EXCEPTION') || (spec.exceptions?.policy_uuids?.length ?? 0) > 0
  const dismissed = spec.dismiss === true || has(tags, 'IGNORED')
  const vendorState = dismissed ? 'dismissed' : excepted ? 'excepted' : 'open'

  const project = raw.project
  const ns = f.tenant_meta?.namespace ?? project?.namespace
  const appUrl = (raw.appUrl || ENDOR_DEFAULT_APP_URL).replace(/\/+$/, '')
  const link = ns ? `${appUrl}/t/${encodeURIComponent(ns)}/findings/${encodeURIComponent(f.uuid)}` : undefined
  const projectUuid = spec.project_uuid ?? project?.uuid ?? undefined
  const target = {
    kind: 'repository' as const,
    name: project?.name ?? (projectUuid ? `endor project ${projectUuid}` : 'unknown endor project'),
    url: project?.url,
  }

  const evidence = strip({
    manifestFiles: spec.dependency_file_paths ?? undefined,
    locationUrls: locationUrls(spec.location_urls),
    dependency: direct === true ? 'direct' : direct === false ? 'transitive' : undefined,
    relationship: spec.relationship,
    scope: testOnly === true ? 'test' : testOnly === false ? 'normal' : undefined,
    nativeScope: spec.target_dependency_native_scope,
    reachabilityTags: tags.filter((t) => /REACHABLE_(FUNCTION|DEPENDENCY)$/.test(t)),
    tags,
    epss: epssProb !== undefined ? strip({ probability: epssProb, percentile: epssPct }) : undefined,
    kev: kevRecord ?? (kevListed ? { listed: true, via: 'FINDING_TAGS_EXPLOITED' } : undefined),
    remediation: spec.remediation,
    remediationAction: spec.remediation_action,
    proposedVersion: spec.proposed_version,
    latestVersion: spec.latest_version,
    fixingUpgrades: spec.fixing_upgrades?.upgrade_list ?? undefined,
    endorPatchAvailable: spec.fixing_patch?.endor_patch_available ?? undefined,
    dismissed: spec.dismiss === true ? true : undefined,
    exceptions: excepted
      ? strip({ policyUuids: spec.exceptions?.policy_uuids ?? undefined, tags: spec.exceptions?.tags ?? undefined })
      : undefined,
    snooze: spec.snooze && Object.keys(spec.snooze).length ? spec.snooze : undefined,
    ignore: spec.ignore && Object.keys(spec.ignore).length ? spec.ignore : undefined,
    advisory: advisoryId,
    cwe: vspec?.raw?.endor_vulnerability?.cwe,
    references: (vspec?.references ?? []).map((r) => r.url).filter((u): u is string => Boolean(u)),
    sourceRef: spec.source_code_version
      ? strip({ ref: spec.source_code_version.ref, sha: spec.source_code_version.sha })
      : undefined,
    namespace: ns,
    projectUuid,
    projectName: project?.name,
    platformSource: project?.platformSource,
    findingType: f.meta?.name,
  })

  const vendorFactors = [] as MappedFinding['vendorFactors']
  if (fnReach)
    vendorFactors.push({
      name: 'function reachability',
      text: `vulnerable function ${fnReach === 'unknown' ? 'potentially reachable' : fnReach}`,
      effect: 'none',
    })
  if (depReach)
    vendorFactors.push({
      name: 'dependency reachability',
      text: `dependency ${depReach === 'unknown' ? 'potentially reachable' : depReach}`,
      effect: 'none',
    })

  const title =
    vuln?.meta?.description ||
    spec.summary ||
    f.meta?.description?.replace(/^[A-Z]+-[A-Za-z0-9-]+:\s*/, '') ||
    undefined
  const detectedAt = parseEndorTime(f.meta?.create_time)

  const ownership = endorOwnership(f, project)
  return ids.cves.map<MappedFinding>((cve) => ({
    sourceKey: f.uuid,
    cve,
    aliases: ids.aliases,
    package: pkg,
    target,
    scope: projectUuid,
    severity: severity!,
    vendorSeverity: level,
    cvss,
    detectedAt,
    fixedVersions: fixed,
    manifestPath: spec.dependency_file_paths?.find((p) => typeof p === 'string' && p.trim())?.trim(),
    affectedRanges: affectedRanges(f, spec.target_dependency_name ?? undefined),
    signals,
    vendorFactors,
    evidence,
    vendorState,
    title,
    link,
    ...(ownership ? { ownership } : {}),
  }))
}
