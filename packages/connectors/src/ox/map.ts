import {
  distributionOf,
  type FindingSignals,
  formatPackagePurl,
  formatPurl,
  type MappedFinding,
  type MapResult,
  normaliseSeverity,
  packageKey,
  purlTypeOf,
  purlTypeOfManifest,
  type ScannerOwnership,
  type Skip,
  splitVulnIds,
  type TargetRef,
  type VendorFactor,
} from '@vulnsync/core'
import {
  OX_CATEGORIES,
  OX_CATEGORY_IDS,
  type OxAggItem,
  type OxApplication,
  type OxIssue,
  type OxRaw,
  type OxScaVulnerability,
  type OxSeverityChangedReason,
} from './raw.ts'

/**
 * PURE mapping of one OX issue to one MappedFinding per CVE. One OX issue covers one package version (or one Dockerfile
 * base image / container image) and aggregates many CVEs, some of them in transitive packages: every CVE becomes its
 * own finding, on the package that carries it.
 */

type Scope = 'sca' | 'container'

const NOT_AVAILABLE = /^(not available|n\/a|none|null|-|)$/i

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined)

const toNumber = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  return undefined
}

const toBool = (v: unknown): boolean | undefined => {
  if (typeof v === 'boolean') return v
  if (typeof v === 'string') {
    if (/^(true|yes|1)$/i.test(v.trim())) return true
    if (/^(false|no|0)$/i.test(v.trim())) return false
  }
  return undefined
}

/** OX `createdAt` is the first detection, epoch milliseconds (number, sometimes a numeric string). */
export const oxDetectedAt = (createdAt: unknown): Date | null => {
  const n = toNumber(createdAt)
  if (n === undefined || n <= 0) return null
  const ms = n < 1e11 ? n * 1000 : n // tolerate epoch seconds
  const d = new Date(ms)
  return Number.isNaN(d.getTime()) ? null : d
}

/** 'sca' | 'container' for the two imported categories, by name or id; null for any other category. */
export const oxScopeOf = (category: { name?: unknown; categoryId?: unknown } | null | undefined): Scope | null => {
  if (!category) return null
  const name = typeof category.name === 'string' ? category.name.trim().toLowerCase() : ''
  const id = toNumber(category.categoryId)
  if (name === OX_CATEGORIES.openSource.toLowerCase() || (!name && id === OX_CATEGORY_IDS.openSource)) return 'sca'
  if (name === OX_CATEGORIES.container.toLowerCase() || (!name && id === OX_CATEGORY_IDS.container)) return 'container'
  return null
}

// ------------------------------------------------------------------------------------------------ packages

/** "org.springframework:spring-web@5.3.19" → {name, version}; "@babel/traverse@7.21.2" keeps the scope. */
export const splitNameVersion = (s: string | undefined): { name: string; version?: string } | undefined => {
  const t = text(s)?.replace(/\\@/g, '@')
  if (!t) return undefined
  const at = t.lastIndexOf('@')
  if (at <= 0) return { name: t }
  return { name: t.slice(0, at), version: t.slice(at + 1) || undefined }
}

/** The "The following N dependencies have vulnerabilities: a\@1, b\@2" list of secondTitle: full coordinates. */
const vulnerableDepsFromTitle = (secondTitle: string | undefined): { name: string; version?: string }[] => {
  const t = text(secondTitle)
  if (!t) return []
  const m = /dependenc(?:y|ies) (?:has|have) vulnerabilities:\s*([^<]+)/i.exec(t)
  if (!m) return []
  return m[1]!
    .split(',')
    .map((x) => x.replace(/\.\.\.\s*\+\s*\d+\s*more.*$/i, '').trim())
    .filter(Boolean)
    .map((x) => splitNameVersion(x))
    .filter((x): x is { name: string; version?: string } => !!x)
}

const shortName = (full: string): string => {
  if (full.includes(':') && !full.startsWith('@')) return full.slice(full.lastIndexOf(':') + 1)
  return full
}

/** An ecosystem word of OX (package manager, language) → its purl type; images and generic ones are decided elsewhere. */
const packageType = (word: string | undefined): string | undefined => {
  const type = purlTypeOf(word)
  return type === 'docker' || type === 'generic' ? undefined : type
}

interface IssueContext {
  ecosystem: string
  osPkg?: { type: string; namespace: string; distro?: string } | undefined
  trigger?: { name: string; version?: string } | undefined
  titleDeps: { name: string; version?: string }[]
}

const ecosystemOf = (
  issue: OxIssue,
  scope: Scope,
  aggItems: OxAggItem[],
  isImage: boolean,
): IssueContext['ecosystem'] => {
  const sboms = Array.isArray(issue.sbom) ? issue.sbom : issue.sbom ? [issue.sbom] : []
  for (const s of sboms) {
    const pm = packageType(text(s.packageManager))
    if (pm) return pm
  }
  if (scope === 'container' || isImage) return 'os'
  for (const item of aggItems) {
    const eco = purlTypeOfManifest(text(item.lockfile) ?? text(item.filePath) ?? text(item.fileName))
    if (eco) return eco
  }
  for (const s of sboms) {
    const lang = packageType(text(s.language))
    if (lang) return lang
  }
  const lang = packageType(
    /is an? ([A-Za-z#.+]+) (?:direct|indirect|transitive)? ?dependency/i.exec(text(issue.mainTitle) ?? '')?.[1],
  )
  if (lang) return lang
  const trig = text(issue.scaTriggerPkg)
  if (trig && /^[\w.-]+:[\w.-]+@/.test(trig)) return 'maven'
  return 'generic'
}

const buildPurl = (
  ecosystem: string,
  fullName: string,
  version: string | undefined,
  osPkg: IssueContext['osPkg'],
): string => {
  const v = version || undefined
  switch (ecosystem) {
    case 'os':
    case 'deb':
    case 'apk':
    case 'rpm': {
      const fromVersion =
        v && /deb\d|ubuntu|dfsg/.test(v)
          ? { type: 'deb', namespace: /ubuntu/.test(v) ? 'ubuntu' : 'debian' }
          : undefined
      // deb and apk without a distribution get the default one from the core table (debian, alpine)
      const guess: { type: string; namespace?: string; distro?: string } | undefined =
        osPkg && (ecosystem === 'os' || osPkg.type === ecosystem)
          ? osPkg
          : ecosystem === 'os'
            ? fromVersion
            : { type: ecosystem }
      if (guess)
        return formatPackagePurl(guess.type, fullName, v, {
          namespace: guess.namespace,
          qualifiers: guess.distro ? { distro: guess.distro } : undefined,
        })
      return formatPurl({ type: 'generic', name: fullName, version: v })
    }
    default:
      return formatPackagePurl(ecosystem, fullName, v)
  }
}

/** The full coordinate of a vulnerable library named by its short `libName` (e.g. spring-beans → org.springframework:spring-beans). */
const resolvePackage = (
  ctx: IssueContext,
  libName: string | undefined,
  libVersion: string | undefined,
): { name: string; version?: string } | undefined => {
  const lib = text(libName)
  const ver = text(libVersion)
  if (!lib) return ctx.trigger
  const trig = ctx.trigger
  if (trig && (trig.name === lib || shortName(trig.name) === lib) && (!ver || !trig.version || trig.version === ver))
    return { name: trig.name, version: ver ?? trig.version }
  const matches = ctx.titleDeps.filter((d) => d.name === lib || shortName(d.name) === lib || d.name.endsWith(`/${lib}`))
  const exact = matches.find((d) => d.version === ver) ?? matches[0]
  if (exact) return { name: exact.name, version: ver ?? exact.version }
  return { name: lib, version: ver }
}

// ------------------------------------------------------------------------------------------------ targets

const firstFlowLink = (
  app:
    | { applicationFlows?: { repository?: { location?: { link?: string | null }[] | null }[] | null } | null }
    | null
    | undefined,
): string | undefined => {
  for (const r of app?.applicationFlows?.repository ?? [])
    for (const l of r.location ?? []) if (text(l.link)) return text(l.link)
  return undefined
}

const repoNameFromUrl = (url: string): string | undefined => {
  try {
    const u = new URL(url)
    const path = u.pathname
      .replace(/\/+$/, '')
      .replace(/\.git$/i, '')
      .replace(/^\/+/, '')
    const cut = path.split('/-/')[0]!
    return cut || undefined
  } catch {
    const scp = /^[^@\s]+@[^:\s]+:(.+?)(?:\.git)?$/.exec(url)
    return scp?.[1]
  }
}

const PROVIDERS: Record<string, string> = {
  github: 'github',
  gitlab: 'gitlab',
  bitbucket: 'bitbucket',
  azure: 'azure',
  azuredevops: 'azure',
}

/**
 * What OX says about ownership: the issue's application (not a `fakeApp` pseudo-app) with its business priority,
 * and the owners OX mapped to the issue (display names).
 */
export const oxOwnership = (issue: OxIssue): ScannerOwnership | undefined => {
  const app = issue.app
  const key = app && app.fakeApp !== true ? text(app.id) : undefined
  const owners = (issue.owners ?? []).map(text).filter((o): o is string => Boolean(o))
  if (!key && owners.length === 0) return undefined
  const priority = toNumber(app?.businessPriority)
  return {
    label: 'OX',
    ...(key
      ? {
          application: {
            key,
            name: text(app?.name) ?? key,
            businessPriority: priority !== undefined && priority >= 0 && priority <= 100 ? priority : undefined,
          },
        }
      : {}),
    ...(owners.length ? { owners } : {}),
  }
}

/** The repository an OX application stands for: getApplications link, else the app's flows, else organisation + repo name. */
export const oxRepository = (
  issueApp: OxIssue['app'],
  app: OxApplication | null | undefined,
): TargetRef | undefined => {
  const url = text(app?.link) ?? firstFlowLink(app) ?? firstFlowLink(issueApp)
  const org = text(issueApp?.organization) ?? text(app?.organization)
  const repo = text(issueApp?.repoName) ?? text(app?.repoName)
  const appName = text(app?.appName) ?? text(issueApp?.name)
  const type = (text(issueApp?.type) ?? text(app?.type))?.toLowerCase().replace(/[\s_-]+/g, '')
  const fake = issueApp?.fakeApp === true || app?.fakeApp === true
  const id = text(issueApp?.repoId) ?? text(issueApp?.id) ?? text(app?.appId)
  const name =
    (url && repoNameFromUrl(url)) ?? (org && repo ? `${org}/${repo}` : undefined) ?? appName?.replace(/\s+\/\s+/g, '/')
  if (!name) return undefined
  const provider = type ? Object.entries(PROVIDERS).find(([k]) => type.startsWith(k))?.[1] : undefined
  // an OX app of a source-control type has the provider's repository id as its id (GitHub repo id, GitLab project id)
  const externalId = !fake && provider && id && /^\d+$/.test(id) ? { provider, id } : undefined
  return { kind: 'repository', name, url, externalId }
}

/** "registry.io/team/app:1.2@sha256:…" → name without tag/digest, tag, digest. */
export const splitImage = (image: string): { name: string; tag?: string; digest?: string } => {
  let rest = image.trim()
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
  }
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
  }
  return { name: rest, tag, digest }
}

interface ImageInfo {
  name: string
  tag?: string | undefined
  digest?: string | undefined
  layer?: string | undefined
  baseImage?: string | undefined
  os?: string | undefined
  registry?: string | undefined
  imageLink?: string | undefined
  dockerfile?: string | undefined
}

const imageOf = (issue: OxIssue, aggItems: OxAggItem[]): ImageInfo | undefined => {
  const item = aggItems.find((i) => text(i.image))
  if (item) {
    const parts = splitImage(item.image!)
    return {
      name: parts.name,
      tag: text(item.tag) ?? parts.tag,
      digest: text(item.sha256) ?? text(item.sha) ?? parts.digest,
      layer: text(item.layer),
      baseImage: text(item.baseImage),
      os: text(item.os),
      registry: text(item.registryName),
      imageLink: text(item.imageLink),
    }
  }
  // "openjdk@8 is a base image defined in docker/Dockerfile having 296 vulnerabilities" (policy oxPolicy_deployment_221)
  const m = /^(\S+)@(\S+) is (?:a|the) base image (?:defined|used) in (\S+)/i.exec(text(issue.mainTitle) ?? '')
  if (m) return { name: m[1]!, tag: m[2], baseImage: `${m[1]}:${m[2]}`, dockerfile: m[3] }
  return undefined
}

// ------------------------------------------------------------------------------------------------ vulnerabilities

interface Vuln {
  v: OxScaVulnerability
  direct: boolean | undefined
}

/** Every vulnerability of the issue, direct and transitive, merged by (CVE, library, version). */
const collectVulns = (issue: OxIssue): Vuln[] | undefined => {
  const lists: [OxScaVulnerability[] | null | undefined, boolean | undefined][] = [
    [issue.directSCAVulnerability, true],
    [issue.noneDirectSCAVulnerability, false],
    [issue.scaVulnerabilities, undefined],
  ]
  if (lists.every(([l]) => l == null)) return undefined
  const byKey = new Map<string, Vuln>()
  for (const [list, direct] of lists)
    for (const v of list ?? []) {
      const key = `${text(v.cve)?.toUpperCase() ?? ''}|${text(v.libName) ?? ''}|${text(v.libVersion) ?? ''}`
      const seen =
        byKey.get(key) ??
        [...byKey.values()].find(
          (x) =>
            text(x.v.cve)?.toUpperCase() === text(v.cve)?.toUpperCase() && (!text(v.libName) || !text(x.v.libName)),
        )
      if (seen) {
        // fill fields one list has and the other lacks (scaVulnerabilities carries epss, the split lists carry libName)
        for (const [k, val] of Object.entries(v))
          if ((seen.v as any)[k] == null && val != null) (seen.v as any)[k] = val
        if (seen.direct === undefined) seen.direct = direct
      } else byKey.set(key, { v: { ...v }, direct })
    }
  return [...byKey.values()]
}

const isDirect = (vuln: Vuln, resolved: { name: string } | undefined, ctx: IssueContext): boolean | undefined => {
  if (vuln.direct !== undefined) return vuln.direct
  const depth = toNumber(vuln.v.chainDepth)
  if (depth !== undefined) return depth === 0
  const chain = vuln.v.dependencyChain
  if (Array.isArray(chain)) return chain.length <= 1
  if (typeof chain === 'string' && chain.trim()) return !/[>→,]/.test(chain)
  if (ctx.trigger && resolved) return resolved.name === ctx.trigger.name
  return undefined
}

const fixedVersionsOf = (v: OxScaVulnerability, aggItems: OxAggItem[], pkg: string | undefined): string[] => {
  const out: string[] = []
  for (const f of [v.minorVerWithFix, v.majorVerWithFix]) {
    const t = text(f)
    if (t && !NOT_AVAILABLE.test(t) && !out.includes(t)) out.push(t)
  }
  // the package-level fixedVersion of the aggregation items only when the CVE itself says nothing ("Not Available" is an answer)
  if (out.length === 0 && pkg && v.minorVerWithFix == null && v.majorVerWithFix == null)
    for (const item of aggItems) {
      const t = text(item.fixedVersion)
      if (
        t &&
        !NOT_AVAILABLE.test(t) &&
        (text(item.pkgName) === pkg || shortName(text(item.pkgName) ?? '') === shortName(pkg))
      )
        for (const part of t.split(/\s*,\s*/)) if (part && !out.includes(part)) out.push(part)
    }
  return out
}

const factorEffect = (r: OxSeverityChangedReason): VendorFactor['effect'] => {
  const n = toNumber(r.changeNumber)
  if (n === undefined || n === 0) return 'none'
  return n > 0 ? 'raise' : 'lower'
}

export const oxVendorFactors = (reasons: OxSeverityChangedReason[] | null | undefined): VendorFactor[] =>
  (reasons ?? [])
    .filter((r) => text(r.shortName) || text(r.reason))
    .map((r) => ({
      name: text(r.shortName) ?? text(r.reason)!,
      text: text(r.reason) ?? text(r.shortName)!,
      effect: factorEffect(r),
    }))

const factorEvidence = (reasons: OxSeverityChangedReason[] | null | undefined) =>
  (reasons ?? []).map((r) => ({
    shortName: r.shortName ?? undefined,
    reason: r.reason ?? undefined,
    changeCategory: r.changeCategory ?? undefined,
    changeNumber: toNumber(r.changeNumber),
    extraInfo: (r.extraInfo ?? []).slice(0, 10).map((e) => ({
      key: e.key ?? undefined,
      value: e.value ?? undefined,
      link: e.link ?? undefined,
      file: e.snippet?.fileName ?? undefined,
      line: toNumber(e.snippet?.snippetLineNumber),
      text: e.snippet?.text ?? undefined,
    })),
  }))

const cveFromTitle = (issue: OxIssue): string | undefined => {
  const rule = splitVulnIds([text(issue.ruleId)]).cves[0]
  if (rule) return rule
  const m = /\b(CVE-\d{4}-\d{4,})\b/i.exec(text(issue.mainTitle) ?? '')
  return m?.[1]?.toUpperCase()
}

// ------------------------------------------------------------------------------------------------ map

const safeKey = (purl: string): string => {
  try {
    return packageKey(purl)
  } catch {
    return purl
  }
}

/** `package.json line: 12`, `/app/pom.xml` → a path in the repository. */
const manifestPath = (s: string | undefined): string | undefined =>
  s
    ?.replace(/\s+line:?\s*\d+$/i, '')
    .replace(/^\.?\/+/, '')
    .trim() || undefined

export const mapOxIssue = (raw: OxRaw): MapResult => {
  const issue = raw.issue
  const scope = oxScopeOf(issue.category)
  if (!scope)
    return {
      skip: 'out_of_scope',
      detail: `category ${text(issue.category?.name) ?? String(issue.category?.categoryId ?? 'none')}`,
    }

  const aggItems = issue.aggregations?.items ?? []
  const image = imageOf(issue, aggItems)
  const isImage = scope === 'container' || !!image
  const sboms = Array.isArray(issue.sbom) ? issue.sbom : issue.sbom ? [issue.sbom] : []
  const trigger = splitNameVersion(
    text(issue.scaTriggerPkg) ??
      sboms.map((s) => text(s.triggerPackage)).find(Boolean) ??
      (text(issue.mainTitle) && !isImage ? /^(\S+@\S+) is an? /.exec(issue.mainTitle!)?.[1] : undefined),
  )
  const ctx: IssueContext = {
    ecosystem: ecosystemOf(issue, scope, aggItems, isImage),
    osPkg: distributionOf(image?.os ?? aggItems.map((i) => text(i.os)).find(Boolean)),
    trigger: isImage ? undefined : trigger,
    titleDeps: vulnerableDepsFromTitle(text(issue.secondTitle)),
  }

  let vulns = collectVulns(issue)
  let partial = false
  if (!vulns || vulns.length === 0) {
    // no per-CVE list in the record: fall back on the issue's own rule id / title CVE (only the most severe one)
    const cve = cveFromTitle(issue)
    if (!cve) return { skip: 'no_cve', detail: vulns ? 'no vulnerabilities listed' : 'no CVE in the issue' }
    vulns = [{ v: { cve }, direct: undefined }]
    partial = true
  }

  const repo = oxRepository(issue.app, raw.app)
  const target: TargetRef | undefined = isImage
    ? image
      ? { kind: 'image', name: image.name, sourceRepoUrl: repo?.url }
      : undefined
    : repo
  if (!target)
    return {
      skip: 'invalid_record',
      detail: isImage ? 'container issue without an image name' : 'issue without an application',
    }

  const severity = normaliseSeverity(issue.severity) ?? normaliseSeverity(issue.originalToolSeverity) ?? 'info'
  const vendorSeverity = text(issue.severity) ?? text(issue.originalToolSeverity) ?? 'unknown'
  const detectedAt = oxDetectedAt(issue.createdAt)
  const factors = oxVendorFactors(issue.severityChangedReason)
  const factorDetail = factorEvidence(issue.severityChangedReason)
  const manifest = aggItems.find((i) => text(i.fileName) || text(i.filePath) || text(i.lockfile))
  const sbom = sboms[0]
  const uiBase = (raw.uiBase ?? 'https://app.ox.security').replace(/\/+$/, '')
  const link = text(issue.link) ?? `${uiBase}/issues?issueId=${encodeURIComponent(issue.issueId)}`
  const ownership = oxOwnership(issue)

  const out: MappedFinding[] = []
  const byCveAndPackage = new Map<string, MappedFinding>()
  const packageKeyOf = new Map<MappedFinding, string>()
  for (const vuln of vulns) {
    const { cves, aliases } = splitVulnIds([text(vuln.v.cve)])
    if (cves.length === 0) continue
    let resolved = resolvePackage(ctx, text(vuln.v.libName), text(vuln.v.libVersion))
    let purl: string
    if (resolved) purl = buildPurl(ctx.ecosystem, resolved.name, resolved.version, ctx.osPkg)
    else if (image) {
      // an image issue whose record names no package (a list row without details): the image itself is the package
      resolved = { name: image.name, version: image.tag }
      purl = formatPackagePurl('docker', image.name, image.tag)
    } else continue
    const key = safeKey(purl)
    const fixedVersions = fixedVersionsOf(vuln.v, aggItems, resolved.name)
    const direct = isDirect(vuln, resolved, ctx)
    const epss = toNumber(vuln.v.epss)
    const percentile = toNumber(vuln.v.percentile)
    const exploit = toBool(vuln.v.exploitInTheWild)
    const signals: FindingSignals = {
      epss: epss !== undefined ? { score: epss, percentile } : undefined,
      exploitInTheWild: exploit,
      fixAvailable: issue.isFixAvailable ?? (fixedVersions.length > 0 ? true : undefined),
      direct,
    }
    const cvssScore = toNumber(vuln.v.cvsVer)
    const evidence: Record<string, unknown> = {
      oxIssueId: issue.issueId,
      oxRowId: text(issue.id),
      category: text(issue.category?.name),
      policy: text(issue.policy?.name) ?? text(issue.name),
      policyId: text(issue.policy?.id),
      oxSeverity: text(issue.severity),
      originalToolSeverity: text(issue.originalToolSeverity),
      cveSeverity: text(String(vuln.v.originalSeverity ?? '')),
      sourceTools: issue.sourceTools ?? undefined,
      triggerPackage:
        text(issue.scaTriggerPkg) ??
        (trigger ? `${trigger.name}${trigger.version ? `@${trigger.version}` : ''}` : undefined),
      dependencyChain: vuln.v.dependencyChain ?? undefined,
      chainDepth: toNumber(vuln.v.chainDepth),
      dependencyType: text(sbom?.dependencyType),
      location:
        text(sbom?.location) ??
        (manifest
          ? `${text(manifest.filePath) ?? text(manifest.fileName)}${toNumber(manifest.snippetLineNumber) !== undefined ? ` line: ${toNumber(manifest.snippetLineNumber)}` : ''}`
          : undefined),
      locationLink: text(sbom?.locationLink) ?? text(manifest?.fileUri) ?? text(manifest?.link),
      manifest: text(manifest?.lockfile) ?? text(manifest?.filePath),
      cveLink: text(vuln.v.cveLink),
      exploitInTheWildLink: text(vuln.v.exploitInTheWildLink),
      exploitRequirement: text(vuln.v.exploitRequirement),
      cwe: (vuln.v.cwe ?? []).map((c) => text(c.shortName) ?? text(c.name)).filter(Boolean),
      businessPriority: toNumber(issue.app?.businessPriority),
      application: text(issue.app?.name),
      severityFactors: factorDetail.length ? factorDetail : undefined,
      occurrences: toNumber(issue.occurrences),
      cveOnlyFromTitle: partial || undefined,
    }
    if (image) {
      evidence.image = {
        name: image.name,
        tag: image.tag,
        digest: image.digest,
        layer: image.layer,
        baseImage: image.baseImage,
        os: image.os,
        registry: image.registry,
        link: image.imageLink,
        dockerfile: image.dockerfile,
      }
    }
    for (const k of Object.keys(evidence))
      if (evidence[k] === undefined || (Array.isArray(evidence[k]) && (evidence[k] as unknown[]).length === 0))
        delete evidence[k]

    for (const cve of cves) {
      const dedupe = `${cve}|${key}`
      const existing = byCveAndPackage.get(dedupe)
      if (existing) {
        // the same CVE in another version of the same package: one finding, the versions in evidence
        const versions = (existing.evidence.otherVersions as string[] | undefined) ?? []
        if (resolved.version && resolved.version !== existing.package.version && !versions.includes(resolved.version))
          versions.push(resolved.version)
        if (versions.length) existing.evidence.otherVersions = versions
        for (const f of fixedVersions) if (!existing.fixedVersions.includes(f)) existing.fixedVersions.push(f)
        continue
      }
      const finding: MappedFinding = {
        sourceKey: issue.issueId,
        cve,
        aliases: aliases.filter((a) => a !== cve),
        package: { purl, name: resolved.name, ecosystem: purl.slice(4, purl.indexOf('/')), version: resolved.version },
        target,
        scope: text(issue.app?.id),
        severity,
        vendorSeverity,
        cvss:
          cvssScore !== undefined ? { score: cvssScore, version: text(String(vuln.v.cvssVersion ?? '')) } : undefined,
        detectedAt,
        fixedVersions: [...fixedVersions],
        manifestPath: manifestPath(text(manifest?.lockfile) ?? text(manifest?.filePath) ?? text(sbom?.location)),
        signals,
        vendorFactors: factors,
        evidence: { ...evidence },
        vendorState: 'open',
        title: text(issue.mainTitle),
        link,
        ...(ownership ? { ownership } : {}),
      }
      byCveAndPackage.set(dedupe, finding)
      packageKeyOf.set(finding, key)
      out.push(finding)
    }
  }
  // occurrences are keyed (connection, sourceKey, cve): when one issue reports a CVE in several packages, the trigger
  // package (else the first by package key) keeps the issue id and the others get `<issueId>#<package key>`, stable
  // whatever order OX lists them in.
  const triggerKey = ctx.trigger ? safeKey(buildPurl(ctx.ecosystem, ctx.trigger.name, undefined, ctx.osPkg)) : undefined
  const byCve = new Map<string, MappedFinding[]>()
  for (const f of out) byCve.set(f.cve, [...(byCve.get(f.cve) ?? []), f])
  for (const group of byCve.values()) {
    if (group.length < 2) continue
    const keys = group.map((f) => packageKeyOf.get(f)!)
    const primary = triggerKey && keys.includes(triggerKey) ? triggerKey : [...keys].sort()[0]
    for (const f of group) if (packageKeyOf.get(f) !== primary) f.sourceKey = `${issue.issueId}#${packageKeyOf.get(f)}`
  }
  if (out.length === 0)
    return { skip: 'no_cve', detail: 'vulnerabilities without a CVE id (e.g. GHSA only)' } satisfies Skip
  return out
}
