import {
  type CvssScore,
  canonicalPackage,
  type FindingSignals,
  formatPurl,
  type MappedFinding,
  type MapResult,
  normaliseSeverity,
  type Purl,
  packageDisplayName,
  packagePurl,
  purlTypeOf,
  severityFromCvss,
  splitVulnIds,
  type TargetRef,
  type VendorFactor,
} from '@vulnsync/core'
import { validateRecord } from '../kit/records.ts'
import { artifactIdentity } from './artifact.ts'
import { type JfrogRaw, JfrogRawSchema, SummaryArtifact } from './raw.ts'

// ------------------------------------------------------------------ small pure parsers

/**
 * Xray CVSS strings: `"9.8/CVSS:3.0/AV:N/…"`, `"9.3/AV:N/AC:M/…"` (v2 without prefix) or a bare `"5.9"`.
 * Anything else (a score outside 0–10, text) is ignored: undefined, never an error.
 */
export const parseXrayCvss = (input: unknown, family: 'v3' | 'v2'): CvssScore | undefined => {
  if (typeof input !== 'string') return undefined
  const m = /^\s*(\d{1,2}(?:\.\d+)?)\s*(?:\/\s*(.*))?$/.exec(input)
  if (!m) return undefined
  const score = Number(m[1])
  if (!Number.isFinite(score) || score < 0 || score > 10) return undefined
  let vector = m[2]?.trim() || undefined
  if (vector && !/^(CVSS:\d\.\d\/)?[A-Za-z]{1,3}:[A-Za-z]/.test(vector)) vector = undefined
  const declared = vector ? /^CVSS:(\d\.\d)\//.exec(vector)?.[1] : undefined
  const version = declared ?? (family === 'v3' ? '3' : '2.0')
  return { score, vector, version }
}

/**
 * Xray fixed versions in range notation: `[1.16.10]` → `1.16.10`; `[2.0,2.1)` → `>= 2.0, < 2.1`; `(,1.2.3)` → `< 1.2.3`;
 * `≥ 1:11.0.5` → `>= 1:11.0.5`. Unknown forms are kept as given.
 */
export const parseFixedVersion = (input: string): string => {
  const s = input.trim()
  const m = /^([[(])\s*([^,\])]*?)\s*(?:,\s*([^\])]*?)\s*)?([\])])$/.exec(s)
  if (!m)
    return s
      .replace(/^≥\s*/, '>= ')
      .replace(/^≤\s*/, '<= ')
      .replace(/^>\s*=\s*/, '>= ')
  const [, open, lo, hi, close] = m
  if (hi === undefined) return lo ?? s
  const parts: string[] = []
  if (lo) parts.push(`${open === '[' ? '>=' : '>'} ${lo}`)
  if (hi) parts.push(`${close === ']' ? '<=' : '<'} ${hi}`)
  return parts.length ? parts.join(', ') : s
}

export interface ParsedComponent {
  purl: string
  name: string
  ecosystem: string
  version?: string | undefined
}

/**
 * A component id as Xray writes it (`npm://lodash:4.17.15`, `gav://g:a:v`, `alpine://3.12:busybox:1.31.1-r20`,
 * `deb://debian:buster:libssl1.1:1.1.1d-0+deb10u6`, `rpm://7:java-11-openjdk-headless:0:11.0.6.10-1.el7_7`,
 * `go://github.com/x/y:v1.2.3`, `docker://image:tag`) → purl. `version`/`pkgType` come from summary v2's
 * components[] when the id carries no version or no type prefix. Returns null when no package can be named.
 */
export const parseComponentId = (
  id: string,
  opts: { version?: string | undefined; pkgType?: string | undefined } = {},
): ParsedComponent | null => {
  const raw = id.trim()
  if (!raw) return null
  const pm = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(raw)
  const prefix = (pm?.[1] ?? opts.pkgType ?? '').toLowerCase()
  let rest = pm ? pm[2]! : raw
  if (prefix === 'build' || prefix === 'releasebundle') return null
  // Xray's prefixes and package types are in the one ecosystem table of packages/core; an unknown one is kept
  const type = purlTypeOf(prefix) ?? (prefix && /^[a-z][a-z0-9]*$/.test(prefix) ? prefix : 'generic')
  let version = opts.version?.trim() || undefined
  if (version && rest.endsWith(`:${version}`)) rest = rest.slice(0, -(version.length + 1))
  const tokens = rest.split(':')
  const take = (nameCount: number): string[] => {
    // the first nameCount tokens are the name, the rest is the version (versions may hold ':' epochs)
    if (version) return tokens
    if (tokens.length > nameCount) {
      version = tokens.slice(nameCount).join(':') || undefined
      return tokens.slice(0, nameCount)
    }
    return tokens
  }
  let p: Purl
  switch (type) {
    case 'maven': {
      const t = take(2)
      p = t.length >= 2 ? { type, namespace: t[0], name: t[1]!, version } : { type, name: t[0]!, version }
      break
    }
    case 'apk': {
      const t = take(2)
      const [distro, name] = t.length >= 2 ? [t[0], t[1]!] : [undefined, t[0]!]
      p = { type, namespace: 'alpine', name, version, qualifiers: distro ? { distro: `alpine-${distro}` } : undefined }
      break
    }
    case 'deb': {
      const t = take(tokens.length >= 4 ? 3 : 2)
      const name = t[t.length - 1]!
      const ns = t.length >= 3 ? t[0]!.toLowerCase() : t.length === 2 ? 'debian' : undefined
      const distro = t.length >= 3 ? `${t[0]}-${t[1]}` : t.length === 2 ? t[0] : undefined
      p = { type, namespace: ns, name, version, qualifiers: distro ? { distro } : undefined }
      break
    }
    case 'rpm': {
      const t = take(2)
      const [distro, name] = t.length >= 2 ? [t[0], t[1]!] : [undefined, t[0]!]
      const q: Record<string, string> = {}
      if (distro) q.distro = distro
      if (version && /^\d+:/.test(version)) {
        const [epoch, ...v] = version.split(':')
        q.epoch = epoch!
        version = v.join(':')
      }
      p = { type, name, version, qualifiers: Object.keys(q).length ? q : undefined }
      break
    }
    case 'generic': {
      // generic://sha256:<hex>/name.jar → the file name; generic ids carry no version
      const name = rest.split('/').pop() ?? rest
      if (!name || /^sha256:[0-9a-f]+$/i.test(name)) return null
      p = { type, name, version }
      break
    }
    default: {
      let name = rest
      if (!version) {
        const at = rest.lastIndexOf(':')
        if (at > 0) {
          name = rest.slice(0, at)
          version = rest.slice(at + 1) || undefined
        }
      }
      p = packagePurl(type, name, version)
    }
  }
  if (!p.name) return null
  p = canonicalPackage(p)
  return { purl: formatPurl(p), name: packageDisplayName(p), ecosystem: p.type, version: p.version }
}

/** FNV-1a, for a stable key of an issue Xray gives no id (most v1 issues). */
const fnv1a = (s: string): string => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(16).padStart(8, '0')
}

const lastSegment = (path: string): string => path.replace(/\/+$/, '').split('/').pop() ?? path

// ------------------------------------------------------------------ splitting one artifact summary into records

/** What a record carries about its artifact: the part of JfrogRaw that is the same for every issue of one summary. */
export type ArtifactContext = Omit<JfrogRaw, 'general' | 'issue' | 'componentHints' | 'applicability'>

/**
 * One artifact of a summary response → one record per issue, each carrying the artifact context (so `map` stays
 * pure and one occurrence's stored raw record is one issue, not a 200 KB image summary). Pure.
 */
export const splitArtifactSummary = (
  artifact: unknown,
  ctx: ArtifactContext,
): { records: JfrogRaw[]; invalid: number } => {
  const parsed = SummaryArtifact.safeParse(artifact)
  if (!parsed.success) return { records: [], invalid: 1 }
  const a = parsed.data
  const typed = new Map<string, string>()
  for (const l of a.licenses ?? [])
    for (const c of l.components ?? []) {
      const m = /^[a-z][a-z0-9+.-]*:\/\/(.*)$/i.exec(c)
      if (m) typed.set(m[1]!, c)
    }
  const records: JfrogRaw[] = []
  let invalid = 0
  for (const item of a.issues ?? []) {
    // each issue record is validated once, here (with its artifact's general block): map receives it parsed
    const valid = validateRecord(JfrogRawSchema, { ...ctx, general: a.general ?? {}, issue: item }, 'an Xray issue')
    if (!valid.ok) {
      invalid++
      continue
    }
    const { general, issue } = valid.data
    const hints = new Set<string>()
    for (const path of issue.impact_path ?? []) {
      const hit = typed.get(lastSegment(path))
      if (hit) hints.add(hit)
    }
    const ids = new Set<string>(
      [...(issue.cves ?? []).map((c) => c.cve ?? ''), issue.issue_id ?? ''].filter(Boolean).map((s) => s.toUpperCase()),
    )
    const appl = [...(a.applicability ?? []), ...(a.applicability_details ?? [])].filter((e) =>
      [e.cve_id, e.vulnerability_id].some((v) => typeof v === 'string' && ids.has(v.toUpperCase())),
    )
    records.push({
      ...ctx,
      general,
      issue,
      componentHints: hints.size ? [...hints].sort() : undefined,
      applicability: appl.length ? appl : undefined,
    })
  }
  return { records, invalid }
}

// ------------------------------------------------------------------ map

interface Component extends ParsedComponent {
  fixedVersions: string[] | undefined
  impactPaths: string[]
  physicalPaths: string[]
  componentId: string
}

const pathsFor = (paths: string[], comp: ParsedComponent, componentId: string): string[] => {
  const bare = componentId.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
  const hit = paths.filter((p) => lastSegment(p) === bare || p.endsWith(`/${bare}`))
  if (hit.length) return hit
  const byName = paths.filter((p) => lastSegment(p).includes(comp.name.split(/[/:]/).pop() ?? comp.name))
  return byName.length ? byName : paths
}

const resolveComponents = (raw: JfrogRaw): Component[] => {
  const issue = raw.issue
  const impact = issue.impact_path ?? []
  const physical = issue.component_physical_paths ?? []
  const out = new Map<string, Component>()
  const add = (componentId: string, parsed: ParsedComponent | null, fixed: string[] | undefined) => {
    if (!parsed) return
    const prev = out.get(parsed.purl)
    if (prev) {
      if (fixed) prev.fixedVersions = [...new Set([...(prev.fixedVersions ?? []), ...fixed])]
      return
    }
    out.set(parsed.purl, {
      ...parsed,
      componentId,
      fixedVersions: fixed,
      impactPaths: pathsFor(impact, parsed, componentId),
      physicalPaths: physical.length ? pathsFor(physical, parsed, componentId) : [],
    })
  }
  for (const c of issue.components ?? []) {
    if (!c.component_id) continue
    const parsed = parseComponentId(c.component_id, { version: c.version, pkgType: c.pkg_type })
    add(c.component_id, parsed, (c.fixed_versions ?? []).map(parseFixedVersion).filter(Boolean))
  }
  if (out.size === 0) {
    // summary v1: no components[]; the component is the last segment of each impact path, typed through the
    // artifact's licence list (`3.12:busybox:1.31.1-r20` ↔ `alpine://3.12:busybox:1.31.1-r20`)
    const hints = new Map((raw.componentHints ?? []).map((h) => [h.replace(/^[a-z][a-z0-9+.-]*:\/\//i, ''), h]))
    for (const path of impact) {
      const seg = lastSegment(path)
      const id = hints.get(seg) ?? (/^[a-z][a-z0-9+.-]*:\/\//i.test(seg) ? seg : undefined)
      if (id) add(id, parseComponentId(id), undefined)
      else if (seg && seg !== lastSegment(raw.general.path ?? '')) {
        const pkgType = raw.docker ? undefined : raw.packageType
        add(seg, parseComponentId(seg, { pkgType: purlTypeOf(pkgType) ? pkgType : 'generic' }), undefined)
      }
    }
  }
  return [...out.values()].sort((a, b) => a.purl.localeCompare(b.purl))
}

const applicabilityFor = (
  raw: JfrogRaw,
  cve: string,
  comp: Component,
): { applicable?: boolean; entries: unknown[] } => {
  const entries = [
    ...(raw.issue.applicability ?? []),
    ...(raw.issue.applicability_details ?? []),
    ...((raw.applicability ?? []) as any[]),
  ].filter((e: any) => {
    const id = String(e?.cve_id ?? e?.vulnerability_id ?? '').toUpperCase()
    if (id && id !== cve && id !== String(raw.issue.issue_id ?? '').toUpperCase()) return false
    const cid = String(e?.component_id ?? '')
    return !cid || cid === comp.componentId || cid.includes(comp.name.split(/[/:]/).pop() ?? comp.name)
  })
  let applicable: boolean | undefined
  for (const e of entries as any[]) {
    if (e.result === 'applicable' || e.applicability === true) applicable = true
    else if ((e.result === 'not_applicable' || e.applicability === false) && applicable === undefined)
      applicable = false
  }
  return { applicable, entries }
}

const toDate = (s: string | undefined): Date | null => {
  if (!s) return null
  const d = new Date(s)
  return Number.isNaN(d.getTime()) ? null : d
}

/** Pure: one issue of one artifact → one finding per (CVE × component), or a Skip with its reason. */
export const mapJfrog = (input: JfrogRaw): MapResult => {
  const raw = input
  const issue = raw.issue
  const type = (issue.issue_type ?? 'security').trim().toLowerCase()
  if (type !== 'security')
    return { skip: 'not_vulnerability', detail: `Xray ${type} issue ${issue.issue_id ?? ''}`.trim() }
  const cveEntries = issue.cves ?? []
  const { cves, aliases } = splitVulnIds([...cveEntries.map((c) => c.cve), issue.issue_id])
  if (cves.length === 0) return { skip: 'no_cve', detail: issue.issue_id ?? issue.summary?.slice(0, 120) }
  const comps = resolveComponents(raw)
  if (comps.length === 0) return { skip: 'no_package', detail: issue.issue_id ?? issue.summary?.slice(0, 120) }

  const base = `${raw.repo}/${raw.path}`
  const issueKey = issue.issue_id?.trim() || `summary-${fnv1a(`${issue.summary ?? ''}\n${issue.description ?? ''}`)}`
  const severity = normaliseSeverity(issue.severity)
  // the issue's target is the image or artifact without its tag or version: the version is where it was found
  const slash = raw.path.lastIndexOf('/')
  const id = artifactIdentity(raw.packageType, slash < 0 ? '.' : raw.path.slice(0, slash), raw.path.slice(slash + 1))
  const target: TargetRef = raw.docker
    ? {
        kind: 'image',
        name: `${raw.platformHost}/${raw.repo}/${raw.docker.image}`,
        sourceRepoUrl: raw.source?.url,
        version: raw.docker.tag,
      }
    : { kind: 'artifact', name: `${raw.repo}/${id.artifact}`, sourceRepoUrl: raw.source?.url, version: id.version }
  const ext = issue.extended_information
  const vendorFactors: VendorFactor[] = []
  if (ext?.jfrog_research_severity)
    vendorFactors.push({
      name: 'jfrog_research_severity',
      text: `JFrog Security research severity: ${ext.jfrog_research_severity}`,
      effect: 'none',
    })
  for (const r of ext?.jfrog_research_severity_reasons ?? [])
    if (r.name)
      vendorFactors.push({
        name: r.name,
        text: r.description ?? r.name,
        effect: r.is_positive === true ? 'lower' : r.is_positive === false ? 'raise' : 'none',
      })
  const detectedAt = toDate(raw.scannedAt)
  const title = issue.summary?.split('\n')[0]?.slice(0, 300)
  const link = `${raw.platformUrl}/ui/repos/tree/General/${raw.repo}/${raw.path}`

  const findings: MappedFinding[] = []
  for (const comp of comps) {
    const sourceKey = comps.length > 1 ? `${base}#${issueKey}#${comp.purl.replace(/@.*$/, '')}` : `${base}#${issueKey}`
    for (const cve of cves) {
      const entry = cveEntries.find((c) => (c.cve ?? '').toUpperCase() === cve) ?? cveEntries[0]
      const cvss = parseXrayCvss(entry?.cvss_v3, 'v3') ?? parseXrayCvss(entry?.cvss_v2, 'v2')
      const appl = applicabilityFor(raw, cve, comp)
      const signals: FindingSignals = {}
      if (comp.fixedVersions !== undefined) signals.fixAvailable = comp.fixedVersions.length > 0
      if (appl.applicable !== undefined) signals.reachability = { applicable: appl.applicable }
      const evidence: Record<string, unknown> = {
        artifact: {
          repo: raw.repo,
          path: raw.path,
          packageType: raw.packageType,
          name: raw.general.name,
          componentId: raw.general.component_id,
          xrayPath: raw.general.path,
          sha256: raw.sha256 ?? raw.general.sha256,
        },
        ...(raw.docker ? { image: { ...raw.docker, registry: raw.platformHost } } : {}),
        issueId: issue.issue_id,
        provider: issue.provider,
        component: comp.componentId,
        impactPaths: comp.impactPaths,
        componentPhysicalPaths: comp.physicalPaths,
        cwe: entry?.cwe ?? undefined,
        published: issue.created,
        summaryApi: raw.api,
        detectedAtSource: detectedAt ? 'xray_scan' : 'first_seen_by_vulnsync',
      }
      if (appl.entries.length) evidence.applicability = appl.entries
      if (raw.source) evidence.source = raw.source
      if (raw.build) evidence.build = raw.build
      if (ext?.remediation) evidence.remediation = ext.remediation
      findings.push({
        sourceKey,
        cve,
        aliases,
        package: { purl: comp.purl, name: comp.name, ecosystem: comp.ecosystem, version: comp.version },
        target,
        scope: raw.repo,
        severity: severity ?? (cvss?.score !== undefined ? severityFromCvss(cvss.score) : 'info'),
        vendorSeverity: issue.severity ?? 'Unknown',
        cvss,
        detectedAt,
        fixedVersions: comp.fixedVersions ?? [],
        signals,
        vendorFactors,
        evidence,
        title,
        link,
      })
    }
  }
  return findings
}
