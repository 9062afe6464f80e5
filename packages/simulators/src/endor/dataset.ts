import { simTeamOf } from '../kit/ownership.ts'
import { type Rng, rngFor } from '../kit/random.ts'

/**
 * A generated Endor Labs tenant: projects and findings produced lazily from (seed, index), so finding i never
 * depends on the others and a million findings are never held in memory. Uuids are 24-hex and ascend with the
 * index, so `page_id` (the uuid after which to continue) maps back to an index in O(1).
 *
 * Variety (endor.md §9): child namespaces, non-main contexts (CI_RUN, REF), non-vulnerability categories
 * (LICENSE_RISK, SECRETS, SAST), GHSA-only advisories, CVE as the advisory name, CVE only in the Endor raw record,
 * malware (MAL-…), dismissed and exception-tagged findings, projects without git (SBOM), URLs in different forms
 * and cases, the same CVE in two manifests of one project, timestamps with millisecond and nanosecond precision.
 */
export interface EndorDatasetOptions {
  seed?: number
  namespace?: string
  /** child namespaces, fully qualified (default: <ns>.backend, <ns>.frontend, <ns>.frontend.web) */
  children?: string[]
  projects?: number
  /**
   * Explicit repository URLs of the projects, in any form (https with or without .git, scp-style, any case); null = an
   * SBOM project without git. Sets the number of projects. Used to line projects up with a simulated SCM.
   */
  projectUrls?: Array<string | null>
  findings?: number
}

export interface EndorDataset {
  namespace: string
  namespaces: string[]
  projectCount: number
  findingCount: number
  project(i: number): any
  finding(i: number): any
  /** cheap: the project index of finding i without generating the finding */
  findingProject(i: number): number
  /** cheap: uuid, namespace, context.type, spec.project_uuid and spec.finding_categories of finding i */
  findingHead(i: number): any
  projectUuid(i: number): string
  findingUuid(i: number): string
  /** index of a uuid in the ascending order (fractional position for unknown uuids: where it would sort) */
  findingPosition(uuid: string): number
  projectPosition(uuid: string): number
}

const FINDING_PREFIX = '6656'
const PROJECT_PREFIX = '656e'
const uuidFor = (prefix: string, i: number) => prefix + i.toString(16).padStart(20, '0')

const position = (prefix: string, uuid: string, count: number): number => {
  const u = uuid.toLowerCase()
  if (u.length === 24 && u.startsWith(prefix) && /^[0-9a-f]+$/.test(u)) return Number.parseInt(u.slice(4), 16)
  if (u < prefix) return -0.5
  return count - 0.5
}

const GHSA_CHARS = '23456789cfghjmpqrvwx'
const ghsa = (r: Rng) => {
  const g = () => Array.from({ length: 4 }, () => GHSA_CHARS[r.int(0, GHSA_CHARS.length - 1)]).join('')
  return `GHSA-${g()}-${g()}-${g()}`
}
const cve = (r: Rng) => `CVE-${r.int(2018, 2025)}-${r.int(1000, 59999)}`

/** [prefix, ECOSYSTEM_*, package names, manifest] — prefixes as Endor writes PackageVersion names */
const ECOS: Array<[string, string, string[], string]> = [
  [
    'npm',
    'ECOSYSTEM_NPM',
    ['lodash', 'express', '@babel/traverse', '@angular/core', 'minimist', 'axios'],
    'package.json',
  ],
  [
    'mvn',
    'ECOSYSTEM_MAVEN',
    [
      'org.apache.logging.log4j:log4j-core',
      'com.fasterxml.jackson.core:jackson-databind',
      'org.springframework:spring-web',
    ],
    'pom.xml',
  ],
  ['pypi', 'ECOSYSTEM_PYPI', ['django', 'requests', 'PyYAML', 'jinja2'], 'requirements.txt'],
  ['go', 'ECOSYSTEM_GO', ['golang.org/x/net', 'github.com/gin-gonic/gin', 'google.golang.org/grpc'], 'go.mod'],
  ['gem', 'ECOSYSTEM_GEM', ['rails', 'nokogiri', 'rack'], 'Gemfile.lock'],
  ['nuget', 'ECOSYSTEM_NUGET', ['Newtonsoft.Json', 'System.Text.Encodings.Web'], 'packages.lock.json'],
  ['cargo', 'ECOSYSTEM_CARGO', ['tokio', 'hyper', 'openssl'], 'Cargo.lock'],
  [
    'packagist',
    'ECOSYSTEM_PACKAGIST',
    ['symfony/http-kernel', 'guzzlehttp/guzzle', 'laravel/framework'],
    'composer.lock',
  ],
]

const LEVELS = ['FINDING_LEVEL_CRITICAL', 'FINDING_LEVEL_HIGH', 'FINDING_LEVEL_MEDIUM', 'FINDING_LEVEL_LOW'] as const
const NAME_BY_LEVEL: Record<string, string> = {
  FINDING_LEVEL_CRITICAL: 'dependency_with_critical_vulnerabilities',
  FINDING_LEVEL_HIGH: 'dependency_with_high_severity_vulnerabilities',
  FINDING_LEVEL_MEDIUM: 'dependency_with_medium_severity_vulnerabilities',
  FINDING_LEVEL_LOW: 'dependency_with_low_severity_vulnerabilities',
}
const SCORE_BY_LEVEL: Record<string, [number, number]> = {
  FINDING_LEVEL_CRITICAL: [9, 10],
  FINDING_LEVEL_HIGH: [7, 8.9],
  FINDING_LEVEL_MEDIUM: [4, 6.9],
  FINDING_LEVEL_LOW: [0.1, 3.9],
}

const BASE_TIME = Date.UTC(2023, 5, 1)
/** RFC 3339 with alternating precision: `…21.853Z` or nanoseconds `…03.830911988Z` */
const rfc3339 = (ms: number, nanos: boolean, r: Rng): string => {
  const iso = new Date(ms).toISOString()
  return nanos ? `${iso.slice(0, 23)}${String(r.int(0, 999999)).padStart(6, '0')}Z` : iso
}

export const createEndorDataset = (opts: EndorDatasetOptions = {}): EndorDataset => {
  const seed = opts.seed ?? 42
  const ns = opts.namespace ?? 'acme'
  const children = opts.children ?? [`${ns}.backend`, `${ns}.frontend`, `${ns}.frontend.web`]
  const namespaces = [ns, ...children]
  const projectCount = opts.projectUrls?.length ?? opts.projects ?? 12
  const findingCount = opts.findings ?? 300

  /** the team of a project, by its repository's name (`…/payments-api.git` → payments) */
  const projectTeam = (name: string) =>
    simTeamOf(
      name
        .replace(/\.git\/?$|\/$/g, '')
        .split(/[/:]/)
        .pop() ?? '',
    )
  const projectCache = new Map<number, any>()
  const project = (i: number): any => {
    const hit = projectCache.get(i)
    if (hit) return hit
    const r = rngFor(seed ^ 0x5eed, i)
    const uuid = uuidFor(PROJECT_PREFIX, i)
    const pns = namespaces[i % namespaces.length]!
    const created = rfc3339(BASE_TIME - r.int(0, 400) * 86_400_000, i % 2 === 1, r)
    const explicit = opts.projectUrls ? opts.projectUrls[i] : undefined
    const form = opts.projectUrls ? (explicit ? -1 : 5) : i % 7
    let git: Record<string, unknown> | undefined
    let name: string
    let platform = 'PLATFORM_SOURCE_GITHUB'
    let sbom: Record<string, unknown> | undefined
    switch (form) {
      case -1: {
        name = explicit!
        const scp = /^[^@/\s]+@[^:\s]+:/.test(name)
        git = scp ? { http_clone_url: '', git_clone_url: name } : { http_clone_url: name }
        break
      }
      case 0:
        name = `https://github.com/acme/service-${i}.git`
        git = {
          http_clone_url: name,
          git_clone_url: `git@github.com:acme/service-${i}.git`,
          web_url: `https://github.com/acme/service-${i}`,
          full_name: `acme/service-${i}`,
          organization: 'acme',
          path: `service-${i}`,
        }
        break
      case 1:
        name = `https://github.com/acme/web-app-${i}.git`
        git = {
          http_clone_url: name,
          git_clone_url: `git@github.com:acme/web-app-${i}.git`,
          web_url: `https://api.github.com/acme/web-app-${i}`,
          full_name: `acme/web-app-${i}`,
          organization: 'acme',
          path: `web-app-${i}`,
        }
        break
      case 2:
        // mixed case, no .git, no full_name: the name must come from the URL
        name = `https://github.com/Acme/Payments-${i}`
        git = { http_clone_url: name, organization: 'Acme' }
        break
      case 3:
        name = `https://www.gitlab.com/acme/platform/api-${i}.git`
        git = {
          http_clone_url: name,
          git_clone_url: `git@gitlab.com:acme/platform/api-${i}.git`,
          full_name: `acme/platform/api-${i}`,
          organization: 'acme',
          path: `api-${i}`,
        }
        platform = 'PLATFORM_SOURCE_GITLAB'
        break
      case 4:
        // upper-case host and owner, trailing slash
        name = `https://GitHub.com/ACME/Mobile-${i}.git/`
        git = { http_clone_url: name, full_name: `ACME/Mobile-${i}` }
        break
      case 5:
        // an SBOM-imported project: no git at all
        name = `acme-firmware-${i}`
        platform = 'PLATFORM_SOURCE_UNSPECIFIED'
        sbom = { kind: 'SBOM_KIND_CYCLONEDX', main_component_purl: `pkg:generic/acme-firmware-${i}@1.0.0` }
        break
      default:
        // only the scp-style clone URL is usable (http_clone_url empty, as a zero value)
        name = `git@bitbucket.org:acme/tools-${i}.git`
        git = { http_clone_url: '', git_clone_url: name, full_name: `acme/tools-${i}` }
        platform = 'PLATFORM_SOURCE_BITBUCKET'
    }
    // every 4th project is tagged with the team that owns it (a tag equal to a team's slug names that team)
    const tags = i % 4 === 1 ? { tags: [projectTeam(name)] } : {}
    const obj = {
      uuid,
      tenant_meta: { namespace: pns },
      meta: { kind: 'Project', version: 'v1', name, create_time: created, update_time: created, ...tags },
      processing_status: { scan_state: 'SCAN_STATE_IDLE', scan_time: created },
      spec: {
        ...(git ? { git } : {}),
        ...(sbom ? { sbom } : {}),
        platform_source: platform,
        internal_reference_key: name,
      },
    }
    if (projectCache.size < 100_000) projectCache.set(i, obj)
    return obj
  }
  const webUrl = (p: any): string | undefined => {
    const g = p.spec.git
    if (!g) return undefined
    const u = (g.http_clone_url || '').replace(/\.git\/?$/i, '').replace(/\/$/, '')
    return u || undefined
  }

  /** finding i and its twin i+1 (i % 50 === 48) share project, advisory and package: one CVE in two manifests */
  const baseOf = (i: number) => (i % 50 === 49 ? i - 1 : i)
  const findingProject = (i: number) => rngFor(seed, baseOf(i)).int(0, projectCount - 1)

  /** the draws that decide a finding's project, package, advisory kind, context and category, in a fixed order */
  const draws = (i: number) => {
    const base = baseOf(i)
    const r = rngFor(seed, base) // shared by twins: project, advisory, package
    const v = rngFor(seed + 7919, i) // per record: context, category, tags, state, times
    const pi = r.int(0, projectCount - 1)
    const ecoIdx = r.int(0, ECOS.length - 1)
    const nameIdx = r.int(0, ECOS[ecoIdx]![2].length - 1)
    const major = r.int(0, 5)
    const minor = r.int(0, 20)
    const patch = r.int(0, 9)
    const level = LEVELS[r.int(0, LEVELS.length - 1)]!
    const idRoll = r.next()
    const ctxRoll = v.next()
    const catRoll = v.next()
    const contextType =
      ctxRoll < 0.08 ? 'CONTEXT_TYPE_CI_RUN' : ctxRoll < 0.14 ? 'CONTEXT_TYPE_REF' : 'CONTEXT_TYPE_MAIN'
    const category =
      catRoll < 0.06
        ? 'FINDING_CATEGORY_LICENSE_RISK'
        : catRoll < 0.09
          ? 'FINDING_CATEGORY_SECRETS'
          : catRoll < 0.12
            ? 'FINDING_CATEGORY_SAST'
            : null
    const malware = category === null && idRoll >= 0.93 && idRoll < 0.96
    const categories = category
      ? [category]
      : malware
        ? ['FINDING_CATEGORY_MALWARE', 'FINDING_CATEGORY_SUPPLY_CHAIN', 'FINDING_CATEGORY_VULNERABILITY']
        : ['FINDING_CATEGORY_SECURITY', 'FINDING_CATEGORY_VULNERABILITY', 'FINDING_CATEGORY_SCA']
    return { base, r, v, pi, ecoIdx, nameIdx, major, minor, patch, level, idRoll, contextType, category, categories }
  }

  /** the fields list filters usually test, without generating the finding (fast scans and counts) */
  const findingHead = (i: number) => {
    const d = draws(i)
    return {
      uuid: uuidFor(FINDING_PREFIX, i),
      tenant_meta: { namespace: namespaces[d.pi % namespaces.length]! },
      context: { type: d.contextType },
      spec: { project_uuid: uuidFor(PROJECT_PREFIX, d.pi), finding_categories: d.categories },
    }
  }

  const finding = (i: number): any => {
    const { base, r, v, pi, ecoIdx, nameIdx, major, minor, patch, level, idRoll, contextType, category, categories } =
      draws(i)
    const p = project(pi)
    const uuid = uuidFor(FINDING_PREFIX, i)
    const context =
      contextType === 'CONTEXT_TYPE_CI_RUN'
        ? { type: contextType, id: `6650${v.hex(20)}` }
        : contextType === 'CONTEXT_TYPE_REF'
          ? { type: contextType, id: v.pick(['release/1.x', 'develop', 'feature/login']) }
          : { type: contextType, id: 'default' }
    const created = BASE_TIME + v.int(0, 500 * 86_400) * 1000
    const createTime = rfc3339(created, i % 2 === 1, v)
    const updateTime = rfc3339(created + v.int(0, 90) * 86_400_000, true, v)
    const [prefix, ecosystem, names, manifest] = ECOS[ecoIdx]!
    const depName = names[nameIdx]!
    const version = `${major}.${minor}.${patch}`
    const fixedVersion = `${major}.${minor}.${patch + 1}`
    const latest = `${major + 1}.0.0`
    const manifestPath = i !== base ? `services/worker/${manifest}` : manifest
    const web = webUrl(p)
    const common = {
      uuid,
      tenant_meta: { namespace: p.tenant_meta.namespace },
      context,
    }
    if (category) {
      const cat = category
      return {
        ...common,
        meta: {
          kind: 'Finding',
          version: 'v1',
          name: cat.toLowerCase().replace('finding_category_', ''),
          description: `${cat} finding`,
          create_time: createTime,
          update_time: updateTime,
        },
        spec: {
          project_uuid: p.uuid,
          level: 'FINDING_LEVEL_LOW',
          finding_categories: [cat],
          finding_tags: ['FINDING_TAGS_NORMAL'],
          extra_key: `${cat}-${i}`,
          target_uuid: `6657${v.hex(20)}`,
          summary: 'not a vulnerability',
          last_processed: updateTime,
          dependency_file_paths: [manifestPath],
        },
      }
    }

    // advisory ids
    let advisory: string
    let aliases: string[]
    let rawCve: string | undefined
    let malware = false
    if (idRoll < 0.62) {
      advisory = ghsa(r)
      aliases = [cve(r)]
    } else if (idRoll < 0.7) {
      advisory = ghsa(r)
      aliases = [cve(r), cve(r)]
    } else if (idRoll < 0.8) {
      advisory = cve(r) // CVE as the advisory name, GHSA as the alias
      aliases = [ghsa(r)]
    } else if (idRoll < 0.82) {
      advisory = `PYSEC-${r.int(2019, 2024)}-${r.int(1, 400)}`
      aliases = [cve(r), ghsa(r)]
    } else if (idRoll < 0.93) {
      advisory = ghsa(r) // GHSA only: no CVE anywhere
      aliases = []
    } else if (idRoll < 0.96) {
      advisory = `MAL-${r.int(2022, 2025)}-${r.int(1, 9999)}` // malware
      aliases = []
      malware = true
    } else {
      advisory = `GO-${r.int(2021, 2024)}-${r.int(1000, 3000)}` // CVE only in the Endor raw record
      aliases = []
      rawCve = cve(r)
    }
    const extraKey = advisory
    const firstCve = aliases.find((a) => a.startsWith('CVE-')) ?? (advisory.startsWith('CVE-') ? advisory : rawCve)

    const tags: string[] = []
    tags.push(v.chance(0.55) ? 'FINDING_TAGS_DIRECT' : 'FINDING_TAGS_TRANSITIVE')
    tags.push(v.chance(0.1) ? 'FINDING_TAGS_TEST' : 'FINDING_TAGS_NORMAL')
    const fr = v.next()
    if (fr < 0.2) tags.push('FINDING_TAGS_REACHABLE_FUNCTION')
    else if (fr < 0.6) tags.push('FINDING_TAGS_UNREACHABLE_FUNCTION')
    else if (fr < 0.8) tags.push('FINDING_TAGS_POTENTIALLY_REACHABLE_FUNCTION')
    const dr = v.next()
    if (dr < 0.5) tags.push('FINDING_TAGS_REACHABLE_DEPENDENCY')
    else if (dr < 0.7) tags.push('FINDING_TAGS_UNREACHABLE_DEPENDENCY')
    else if (dr < 0.85) tags.push('FINDING_TAGS_POTENTIALLY_REACHABLE_DEPENDENCY')
    const fixable = v.chance(0.75)
    tags.push(fixable ? 'FINDING_TAGS_FIX_AVAILABLE' : 'FINDING_TAGS_UNFIXABLE')
    const exploited = firstCve !== undefined && v.chance(0.03)
    if (exploited) tags.push('FINDING_TAGS_EXPLOITED')
    const excepted = v.chance(0.04)
    if (excepted) tags.push('FINDING_TAGS_EXCEPTION')
    if (malware) tags.push('FINDING_TAGS_MALWARE')
    const dismissed = v.chance(0.04)
    const [lo, hi] = SCORE_BY_LEVEL[level]!
    const score = Math.round((lo + v.next() * (hi - lo)) * 10) / 10
    const epss = Math.round(v.next() ** 3 * 10_000) / 10_000

    return {
      ...common,
      meta: {
        kind: 'Finding',
        version: 'v1',
        name: malware ? 'dependency_with_malicious_package' : NAME_BY_LEVEL[level],
        description: `${advisory}: ${malware ? 'Malicious code in' : 'Vulnerability in'} ${depName}`,
        parent_kind: 'PackageVersion',
        parent_uuid: `6655${r.hex(20)}`,
        create_time: createTime,
        update_time: updateTime,
        upsert_time: updateTime,
        created_by: `${p.tenant_meta.namespace}/endorctl-analytics@k8s`,
        tags: [],
      },
      spec: {
        project_uuid: p.uuid,
        level,
        finding_categories: categories,
        finding_tags: tags,
        ecosystem,
        extra_key: extraKey,
        target_uuid: `6657${r.hex(20)}`,
        target_dependency_name: depName,
        target_dependency_package_name: `${prefix}://${depName}@${version}`,
        target_dependency_version: version,
        dependency_file_paths: [manifestPath],
        location_urls: web ? { [manifestPath]: `${web}/blob/main/${manifestPath}` } : {},
        // every 5th finding: the owners Endor read from the repository's CODEOWNERS
        ...(i % 5 === 0 ? { code_owners: { owners: [`@acme/${projectTeam(p.meta.name)}`], labels: ['sca'] } } : {}),
        source_code_version: { ref: 'main', sha: r.hex(40) },
        summary: `Vulnerability in ${depName}`,
        explanation:
          'A known vulnerability has been assessed against this version of the software package according to the information in OSV.dev',
        remediation: fixable
          ? `Update project to use ${depName} version ${fixedVersion} (current: ${version}, latest: ${latest}).`
          : 'No fix is available yet.',
        remediation_action: fixable ? 'FINDING_REMEDIATION_UPGRADE' : 'FINDING_REMEDIATION_UNSPECIFIED',
        proposed_version: fixable ? fixedVersion : '',
        latest_version: latest,
        relationship: tags.includes('FINDING_TAGS_DIRECT')
          ? `${depName} is a direct dependency.`
          : `${depName} is a transitive dependency.`,
        fixing_upgrades: fixable
          ? {
              upgrade_list: [
                {
                  package_name: `${prefix}://${p.spec.git?.full_name ?? 'root'}@1.0.0`,
                  direct_dependency_name: `${prefix}://${depName}`,
                  from_version: version,
                  to_version: fixedVersion,
                  upgrade_risk: 'low',
                },
              ],
            }
          : {},
        method: 'SYSTEM_EVALUATION_METHOD_DEFINITION_VULNERABILITIES',
        last_processed: updateTime,
        dismiss: dismissed,
        exceptions: excepted
          ? { policy_uuids: [`6651${v.hex(20)}`], tags: ['accepted-risk'] }
          : { policy_uuids: [], tags: [] },
        finding_metadata: {
          cvss_version: 'CVSS_VERSION_V3',
          vulnerability: {
            uuid: `61a0${r.hex(20)}`,
            tenant_meta: { namespace: 'oss' },
            meta: { name: advisory, description: `${malware ? 'Malicious code in' : 'Vulnerability in'} ${depName}` },
            spec: {
              aliases,
              summary: `A vulnerability in ${depName} before ${fixedVersion}.`,
              published: rfc3339(created - 30 * 86_400_000, false, r),
              cvss_v3_severity: {
                score,
                level: level.replace('FINDING_', ''),
                vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
              },
              epss_score: firstCve ? { probability_score: epss, percentile_score: Math.min(1, epss * 3) } : undefined,
              affected: [
                {
                  package: { ecosystem, name: depName },
                  ranges: [
                    { type: 'RANGE_TYPE_ECOSYSTEM', introduced: '0', ...(fixable ? { fixed: fixedVersion } : {}) },
                  ],
                },
              ],
              references: [{ type: 'REFERENCE_TYPE_ADVISORY', url: `https://osv.dev/vulnerability/${advisory}` }],
              raw: {
                ...(rawCve
                  ? {
                      endor_vulnerability: { cve_id: rawCve, cve_description: 'from the Endor record', cwe: 'CWE-400' },
                    }
                  : {}),
                ...(exploited
                  ? {
                      kev_record: {
                        cve_id: firstCve,
                        date_added: '2024-03-01',
                        due_date: '2024-03-22',
                        required_action: 'Apply updates per vendor instructions.',
                        known_ransomware_campaign_use: 'Unknown',
                      },
                    }
                  : {}),
              },
            },
          },
        },
      },
    }
  }

  return {
    namespace: ns,
    namespaces,
    projectCount,
    findingCount,
    project,
    finding,
    findingProject,
    findingHead,
    projectUuid: (i) => uuidFor(PROJECT_PREFIX, i),
    findingUuid: (i) => uuidFor(FINDING_PREFIX, i),
    findingPosition: (u) => position(FINDING_PREFIX, u, findingCount),
    projectPosition: (u) => position(PROJECT_PREFIX, u, projectCount),
  }
}
