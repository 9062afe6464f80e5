import { readFileSync } from 'node:fs'
import { type Rng, rngFor } from '../kit/random.ts'

/** the owners OX names on generated issues: team display names (a name equal to a team's slug names that team) */
const OX_OWNERS = ['Payments', 'Identity', 'Commerce', 'Data', 'Platform']

/**
 * OX datasets for the simulator.
 *
 * - `fixtures`: the real captures of OX's demo organisation (635 issues, 29 applications; michaelhorty/OXcli, see
 *   fixtures/ and /work/shared/fixtures/SOURCES.md). The real getIssues capture did not select the SCA details, so the
 *   simulator adds them to the 111 "Open Source Security" issues: the real getSingleIssueInfo capture for the one issue
 *   it covers, and for the others details derived from the issue's own text (the CVE the title names, the package in
 *   the issue id, the vulnerable dependencies and CVE count of secondTitle), the rest of the CVE ids made up and stable.
 * - `generated`: up to hundreds of thousands of issues generated lazily: issue i is a pure function of (seed, i), and
 *   the server-side filters (categories, applications) are index arithmetic, so no page needs the others in memory.
 */

export interface OxDataset {
  /** issues after the server-side filters, as a lazily addressable list */
  query(filter: IssueFilter): { total: number; totalAll: number; at(k: number): any | undefined }
  issue(issueId: string): any | undefined
  applications(): any[]
}

export interface IssueFilter {
  categories?: string[] | undefined
  appIds?: string[] | undefined
  appNames?: string[] | undefined
}

const CATEGORY_IDS: Record<string, number> = { 'Open Source Security': 6, 'Container Security': 12 }

const load = (name: string): any => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))

const categoryMatches = (issue: any, categories: string[] | undefined): boolean =>
  !categories?.length ||
  categories.some(
    (c) =>
      c === issue.category?.name ||
      Number(c) === issue.category?.categoryId ||
      CATEGORY_IDS[c] === issue.category?.categoryId,
  )

// ------------------------------------------------------------------------------------------------ shared generators

const cveFor = (rng: Rng): string => `CVE-${rng.int(2017, 2025)}-${rng.int(1000, 49999)}`

const FACTORS = [
  {
    shortName: 'Critical Business Priority',
    changeCategory: 'Damage',
    changeNumber: 0.5,
    reason:
      'Applications deemed as Critical Business Priority are those identified by OX or the user as vitally important. Issues found in such apps may have elevated severity.',
  },
  {
    shortName: 'Vulnerable Package Imported',
    changeCategory: 'Reachable',
    changeNumber: 0.1,
    reason: 'The vulnerable package is included in your repository dependencies list and imported in your code.',
  },
  {
    shortName: 'Public Exploit Available',
    changeCategory: 'Exploitable',
    changeNumber: 0.01,
    reason: 'A public exploit is available for this vulnerability.',
  },
  {
    shortName: 'Direct Dependency',
    changeCategory: 'Reachable',
    changeNumber: 0.01,
    reason: 'The vulnerable package is a direct dependency of the application.',
  },
  {
    shortName: 'Deployed in Production',
    changeCategory: 'Damage',
    changeNumber: 0.2,
    reason: 'The application is deployed to a production environment.',
  },
  {
    shortName: 'Package Not Imported',
    changeCategory: 'Reachable',
    changeNumber: -0.3,
    reason: 'The dependency is not imported into the code.',
  },
  {
    shortName: 'Dev Dependency',
    changeCategory: 'Reachable',
    changeNumber: -0.2,
    reason: 'The package is used for development only.',
  },
]

const pickFactors = (rng: Rng) => {
  const n = rng.int(0, 4)
  const out: any[] = []
  for (let i = 0; i < n; i++) {
    const f = rng.pick(FACTORS)
    if (!out.some((o) => o.shortName === f.shortName)) out.push({ ...f, extraInfo: [] })
  }
  return out
}

const SEVERITIES = ['Appoxalypse', 'Critical', 'High', 'Medium', 'Low', 'Info']

const vuln = (rng: Rng, cve: string, libName: string, libVersion: string, chain: string, depth: number) => {
  const fix = rng.chance(0.7) ? `${rng.int(1, 9)}.${rng.int(0, 20)}.${rng.int(0, 9)}` : 'Not Available'
  return {
    cve,
    cveLink: cve.startsWith('CVE-')
      ? `https://nvd.nist.gov/vuln/detail/${cve}`
      : `https://github.com/advisories/${cve}`,
    cvsVer: (rng.int(30, 100) / 10).toFixed(1),
    epss: Math.round(rng.next() * 1e5) / 1e5,
    percentile: Math.round(rng.next() * 1e5) / 1e5,
    exploitInTheWild: rng.chance(0.08),
    exploitInTheWildLink: null,
    libName,
    libVersion,
    dependencyChain: chain,
    chainDepth: depth,
    minorVerWithFix: rng.chance(0.5) ? fix : 'Not Available',
    majorVerWithFix: fix,
    originalSeverity: rng.pick(['Critical', 'High', 'Medium', 'Low']),
    exploitRequirement: 'Network access required to system with installed dependency',
    cwe: [{ shortName: `CWE-${rng.int(20, 1000)}`, name: 'Generated weakness' }],
  }
}

// ------------------------------------------------------------------------------------------------ fixtures dataset

/** SCA details for a captured issue, derived from its own text (the capture did not select them). */
const enrichCaptured = (issue: any, index: number): any => {
  if (issue.category?.categoryId !== 6) return issue
  const rng = rngFor(7, index)
  const isBaseImage = issue.policy?.id === 'oxPolicy_deployment_221'
  const title: string = issue.mainTitle ?? ''
  const second: string = issue.secondTitle ?? ''
  const topId = /(CVE-\d{4}-\d{4,}|GHSA-[\w-]+)/.exec(title)?.[1]
  const total = Number(/There (?:are a total of|is) (\d+) vulnerabilit/.exec(second)?.[1] ?? issue.occurrences ?? 1)
  const depsText = /dependenc(?:y|ies) (?:has|have) vulnerabilities:\s*([^<]+)/.exec(second)?.[1] ?? ''
  const deps = depsText
    .split(',')
    .map((x) =>
      x
        .replace(/\.\.\.\s*\+\s*\d+\s*more.*$/, '')
        .trim()
        .replace(/\\@/g, '@'),
    )
    .filter((x) => x.includes('@'))
    .map((x) => ({ name: x.slice(0, x.lastIndexOf('@')), version: x.slice(x.lastIndexOf('@') + 1) }))
  const trig = /^(\S+)@(\S+) is /.exec(title)
  const suffix = String(issue.issueId).split('-oxPolicy_securityScan_120-')[1]
  const triggerFull = suffix ? suffix.slice(0, suffix.lastIndexOf('_')) : trig?.[1]
  const triggerVersion = suffix ? suffix.slice(suffix.lastIndexOf('_') + 1) : trig?.[2]
  const short = (n: string) => (n.includes(':') ? n.slice(n.lastIndexOf(':') + 1) : n)
  const vulns: any[] = []
  const count = Math.min(total, isBaseImage ? 40 : 50)
  for (let k = 0; k < count; k++) {
    const dep = isBaseImage
      ? deps[k % Math.max(1, deps.length)]
      : k === 0
        ? { name: triggerFull ?? 'unknown', version: triggerVersion ?? '0' }
        : (deps[k % Math.max(1, deps.length)] ?? { name: triggerFull ?? 'unknown', version: triggerVersion ?? '0' })
    if (!dep) break
    const id =
      k === 0 && topId
        ? topId
        : topId?.startsWith('GHSA')
          ? `GHSA-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}`
          : cveFor(rng)
    const isTrigger = !isBaseImage && short(dep.name) === short(triggerFull ?? '')
    vulns.push(
      vuln(
        rng,
        id,
        short(dep.name),
        dep.version,
        isTrigger ? short(dep.name) : `${short(triggerFull ?? '')} > ${short(dep.name)}`,
        isTrigger ? 0 : 1,
      ),
    )
  }
  const out = {
    ...issue,
    ruleId: topId ?? null,
    sourceTools: ['Trivy'],
    originalToolSeverity: issue.severity,
    isFixAvailable: vulns.some((v) => v.majorVerWithFix !== 'Not Available'),
    scaTriggerPkg: isBaseImage ? null : `${triggerFull}@${triggerVersion}`,
    scaVulnerabilities: vulns,
    directSCAVulnerability: vulns.filter((v) => v.chainDepth === 0),
    noneDirectSCAVulnerability: vulns.filter((v) => v.chainDepth !== 0),
    severityChangedReason: pickFactors(rng),
    aggregations: { type: isBaseImage ? 'policyDeploymentBaseImage' : 'policySecurityScanSCA', items: [] as any[] },
  }
  if (isBaseImage) {
    const m = /^(\S+)@(\S+) is a base image defined in (\S+)/.exec(title)
    if (m)
      out.aggregations.items.push({
        image: m[1],
        tag: m[2],
        baseImage: `${m[1]}:${m[2]}`,
        os: /stretch|jessie|buster|bullseye|deb/.test(second) ? 'debian' : null,
        filePath: m[3],
        fileName: m[3],
      })
  }
  return out
}

export const fixturesDataset = (): OxDataset => {
  const issues: any[] = load('getissues_response.json').data.getIssues.issues
  const single = load('getsingleissue_response.json').data.getSingleIssueInfo
  const apps: any[] = load('getapps_response.json').data.getApplications.applications
  const links = new Map<string, string>(
    load('getappsshort_response.json').data.getApplications.applications.map((a: any) => [a.appId, a.link]),
  )
  const enriched = issues.map((i, n) => {
    const e = enrichCaptured(i, n)
    if (i.issueId === single.issueId) {
      // the real getSingleIssueInfo capture of this issue: its details win (createdAt stays the list's)
      const { id: _id, created: _c, scanId: _s, ...detail } = single
      return { ...e, ...detail, app: { ...e.app, ...detail.app } }
    }
    return e
  })
  const byId = new Map(enriched.map((i) => [i.issueId, i]))
  const applications = apps.map((a) => ({
    ...a,
    link: links.get(a.appId) ?? (a.fakeApp ? '' : null),
    repoName: a.fakeApp ? null : String(a.appName).split('/')[1],
    organization: a.fakeApp ? null : String(a.appName).split('/')[0],
  }))
  return {
    query(filter) {
      const list = enriched.filter(
        (i) =>
          categoryMatches(i, filter.categories) &&
          (!filter.appIds?.length || filter.appIds.includes(i.app?.id)) &&
          (!filter.appNames?.length || filter.appNames.includes(i.app?.name)),
      )
      return { total: list.length, totalAll: enriched.length, at: (k) => list[k] }
    },
    issue: (issueId) => byId.get(issueId),
    applications: () => applications,
  }
}

// ------------------------------------------------------------------------------------------------ generated dataset

/** Per block of 20 consecutive issues (one application): 11 SCA, 5 container, 4 of other categories. */
const BLOCK = 20
const KIND_AT = (pos: number): 'sca' | 'container' | 'other' => (pos < 11 ? 'sca' : pos < 16 ? 'container' : 'other')

const ECOSYSTEMS = [
  {
    pm: 'npm',
    lang: 'JavaScript',
    file: 'package-lock.json',
    names: [
      'lodash',
      'axios',
      'express',
      'minimist',
      '@babel/traverse',
      'semver',
      'jsonwebtoken',
      'follow-redirects',
      'ws',
      'tough-cookie',
    ],
  },
  {
    pm: 'maven',
    lang: 'Java',
    file: 'pom.xml',
    names: [
      'org.springframework:spring-web',
      'com.fasterxml.jackson.core:jackson-databind',
      'org.apache.logging.log4j:log4j-core',
      'org.yaml:snakeyaml',
      'commons-io:commons-io',
      'org.apache.tomcat.embed:tomcat-embed-core',
    ],
  },
  {
    pm: 'pip',
    lang: 'Python',
    file: 'requirements.txt',
    names: ['requests', 'django', 'pyyaml', 'jinja2', 'urllib3', 'cryptography', 'werkzeug'],
  },
  {
    pm: 'go',
    lang: 'Go',
    file: 'go.mod',
    names: ['golang.org/x/net', 'golang.org/x/crypto', 'github.com/gin-gonic/gin', 'google.golang.org/grpc'],
  },
  {
    pm: 'nuget',
    lang: 'C#',
    file: 'packages.config',
    names: ['Newtonsoft.Json', 'System.Text.Encodings.Web', 'Microsoft.Data.SqlClient'],
  },
]
const OS_PACKAGES = [
  'openssl',
  'libssl3',
  'zlib1g',
  'libc6',
  'curl',
  'libcurl4',
  'libxml2',
  'perl-base',
  'tar',
  'libsqlite3-0',
  'ncurses-base',
  'gnutls28',
]
const BASE_IMAGES = [
  {
    image: 'debian',
    tag: '11.6',
    os: 'debian 11.6',
    version: (r: Rng) => `${r.int(1, 3)}.${r.int(0, 9)}.${r.int(0, 20)}-${r.int(1, 9)}+deb11u${r.int(1, 6)}`,
  },
  {
    image: 'ubuntu',
    tag: '22.04',
    os: 'ubuntu 22.04',
    version: (r: Rng) => `${r.int(1, 3)}.${r.int(0, 9)}-${r.int(1, 9)}ubuntu${r.int(1, 5)}`,
  },
  {
    image: 'alpine',
    tag: '3.18',
    os: 'alpine 3.18.4',
    version: (r: Rng) => `${r.int(1, 3)}.${r.int(0, 9)}.${r.int(0, 20)}-r${r.int(0, 5)}`,
  },
]
const OTHER_CATEGORIES = [
  { name: 'Code Security', categoryId: 4, policy: 'SAST issue' },
  { name: 'Secret/PII Scan', categoryId: 5, policy: 'Secret in code' },
  { name: 'Infrastructure as Code Scan', categoryId: 8, policy: 'IaC issue' },
  { name: 'Git Posture', categoryId: 3, policy: 'Branch protection' },
]

export interface OxDatasetOptions {
  issues: number
  apps?: number
  seed?: number
}

export const generatedDataset = (opts: OxDatasetOptions): OxDataset => {
  const seed = opts.seed ?? 42
  const totalIssues = Math.max(0, Math.floor(opts.issues))
  const totalBlocks = Math.ceil(totalIssues / BLOCK)
  const appCount = Math.max(1, opts.apps ?? Math.min(2000, Math.max(5, Math.ceil(totalIssues / 150))))
  const scanTime = 1_732_000_000_000
  const org = 'acme-corp'
  const appAt = (a: number) => {
    const id = String(700_000_000 + a * 7919)
    const name = `${org}/service-${String(a).padStart(4, '0')}`
    return {
      appId: id,
      appName: name,
      type: 'GitHub',
      fakeApp: false,
      businessPriority: Math.round(rngFor(seed, -1 - a).next() * 10000) / 100,
      link: `https://github.com/${name}`,
      repoName: name.split('/')[1],
      organization: org,
    }
  }
  const fakeApps = [
    {
      appId: `*GitHub-Settings (${org})`,
      appName: `*GitHub-Settings (${org})`,
      type: 'GitHub',
      fakeApp: true,
      businessPriority: 50,
      link: '',
    },
  ]
  const appIndexById = new Map<string, number>()
  for (let a = 0; a < appCount; a++) appIndexById.set(appAt(a).appId, a)

  const issueAt = (i: number): any => {
    const rng = rngFor(seed, i)
    const block = Math.floor(i / BLOCK)
    const kind = KIND_AT(i % BLOCK)
    const a = appAt(block % appCount)
    const app = {
      id: a.appId,
      name: a.appName,
      type: 'GitHub',
      businessPriority: a.businessPriority,
      fakeApp: false,
      repoName: a.repoName,
      organization: org,
      repoId: a.appId,
      originBranchName: 'main',
      applicationFlows: {
        repository: [{ type: 'repository', system: 'GitHub', location: [{ link: a.link, foundIn: a.appName }] }],
      },
    }
    const severity = rng.pick(SEVERITIES)
    const base = {
      id: rng.hex(24),
      created: scanTime,
      createdAt: 1_690_000_000_000 + i * 60_000,
      scanId: '00000000-0000-4000-8000-000000000001',
      severity,
      originalToolSeverity: severity === 'Appoxalypse' ? 'Critical' : rng.pick(['Critical', 'High', 'Medium', 'Low']),
      // OX's owner mapping, by display name: the team of the application (see ../kit/ownership.ts)
      owners: [OX_OWNERS[(block % appCount) % OX_OWNERS.length]!],
      comment: null,
      app,
    }
    if (kind === 'other') {
      const c = OTHER_CATEGORIES[i % OTHER_CATEGORIES.length]!
      return {
        ...base,
        issueId: `${a.appId}-oxPolicy_gen_${c.categoryId}-${i}`,
        mainTitle: `${c.policy} #${i}`,
        secondTitle: '',
        name: c.policy,
        occurrences: 1,
        category: { name: c.name, categoryId: c.categoryId },
        policy: { id: `oxPolicy_gen_${c.categoryId}`, name: c.policy },
      }
    }
    if (kind === 'sca') {
      const eco = ECOSYSTEMS[rng.int(0, ECOSYSTEMS.length - 1)]!
      const pkg = eco.names[rng.int(0, eco.names.length - 1)]!
      const version = `${rng.int(0, 9)}.${rng.int(0, 30)}.${rng.int(0, 20)}`
      const short = pkg.includes(':') ? pkg.slice(pkg.indexOf(':') + 1) : pkg
      const n = rng.chance(0.03) ? 0 : rng.int(1, 8)
      const vulns: any[] = []
      const indirect = eco.names.filter((x) => x !== pkg)
      const indirectDep = indirect[rng.int(0, indirect.length - 1)] ?? pkg
      const indirectVersion = `${rng.int(0, 9)}.${rng.int(0, 30)}.${rng.int(0, 20)}`
      const iShort = indirectDep.includes(':') ? indirectDep.slice(indirectDep.indexOf(':') + 1) : indirectDep
      for (let k = 0; k < n; k++) {
        const direct = k === 0 || rng.chance(0.6)
        vulns.push(
          vuln(
            rng,
            cveFor(rng),
            direct ? short : iShort,
            direct ? version : indirectVersion,
            direct ? short : `${short} > ${iShort}`,
            direct ? 0 : 1,
          ),
        )
      }
      if (n === 0) vulns.push(vuln(rng, `GHSA-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}`, short, version, short, 0))
      const depList = [
        ...new Set(
          vulns.map((v) => (v.chainDepth === 0 ? `${pkg}\\@${version}` : `${indirectDep}\\@${indirectVersion}`)),
        ),
      ]
      const line = rng.int(5, 200)
      return {
        ...base,
        issueId: `${a.appId}-oxPolicy_securityScan_120-${pkg}_${version}-${i}`,
        mainTitle: `${short}@${version} is a ${eco.lang} direct dependency having ${vulns.length} vulnerabilities. ${vulns[0].cve} (CVSS:${vulns[0].cvsVer}) is the most severe vulnerability.`,
        secondTitle: `${pkg}\\@${version} is a ${eco.lang} package that was added as a direct dependency.<br><br>There are a total of ${vulns.length} vulnerabilities.<br><br>           The following ${depList.length} dependencies have vulnerabilities: ${depList.join(', ')}`,
        name: 'Vulnerable dependency (CVE) in code',
        occurrences: vulns.length,
        category: { name: 'Open Source Security', categoryId: 6 },
        policy: { id: 'oxPolicy_securityScan_120', name: 'Vulnerable dependency (CVE) in code' },
        ruleId: vulns[0].cve,
        sourceTools: ['OX SCA'],
        isFixAvailable: vulns.some((v) => v.majorVerWithFix !== 'Not Available'),
        scaTriggerPkg: `${pkg}@${version}`,
        sbom: {
          packageManager: eco.pm,
          language: eco.lang,
          pkgName: pkg,
          location: `${eco.file} line: ${line}`,
          locationLink: `${a.link}/blob/main/${eco.file}#L${line}`,
          dependencyType: 'Direct',
          triggerPackage: `${pkg}@${version}`,
        },
        scaVulnerabilities: vulns,
        directSCAVulnerability: vulns.filter((v) => v.chainDepth === 0),
        noneDirectSCAVulnerability: vulns.filter((v) => v.chainDepth !== 0),
        severityChangedReason: pickFactors(rng),
        aggregations: {
          type: 'policySecurityScanSCA',
          items: [
            {
              fileName: eco.file,
              filePath: eco.file,
              lockfile: eco.file,
              fileUri: `${a.link}/blob/main/${eco.file}#L${line}`,
              link: `${a.link}/blob/main/${eco.file}#L${line}`,
              snippetLineNumber: line,
              language: eco.lang,
            },
          ],
        },
      }
    }
    // container
    const b = BASE_IMAGES[rng.int(0, BASE_IMAGES.length - 1)]!
    const image = `registry.acme.io/${org}/service-${String(block % appCount).padStart(4, '0')}`
    const tag = `1.${rng.int(0, 40)}.${rng.int(0, 9)}`
    const osPkg = OS_PACKAGES[rng.int(0, OS_PACKAGES.length - 1)]!
    const pkgVersion = b.version(rng)
    const n = rng.int(1, 12)
    const vulns: any[] = []
    for (let k = 0; k < n; k++) vulns.push(vuln(rng, cveFor(rng), osPkg, pkgVersion, osPkg, 0))
    const sha = `sha256:${rng.hex(64)}`
    const layer = `sha256:${rng.hex(64)}`
    return {
      ...base,
      issueId: `${a.appId}-oxPolicy_container_130-${osPkg}_${pkgVersion}-${i}`,
      mainTitle: `${osPkg}@${pkgVersion} in image ${image}:${tag} has ${n} vulnerabilities. ${vulns[0].cve} is the most severe vulnerability.`,
      secondTitle: `${osPkg}\\@${pkgVersion} is an OS package of ${b.image}:${b.tag}.<br><br>There are a total of ${n} vulnerabilities.`,
      name: 'Vulnerable OS package (CVE) in container image',
      occurrences: n,
      category: { name: 'Container Security', categoryId: 12 },
      policy: { id: 'oxPolicy_container_130', name: 'Vulnerable OS package (CVE) in container image' },
      ruleId: vulns[0].cve,
      sourceTools: ['OX Container Scan'],
      isFixAvailable: vulns.some((v) => v.majorVerWithFix !== 'Not Available'),
      scaTriggerPkg: `${osPkg}@${pkgVersion}`,
      sbom: {
        packageManager: b.image === 'alpine' ? 'apk' : 'deb',
        language: null,
        pkgName: osPkg,
        location: image,
        dependencyType: 'OS',
      },
      scaVulnerabilities: vulns,
      severityChangedReason: pickFactors(rng),
      aggregations: {
        type: 'policyContainerScan',
        items: [
          {
            image: `${image}:${tag}`,
            tag,
            sha256: sha,
            os: b.os,
            baseImage: `${b.image}:${b.tag}`,
            layer,
            imageLink: `https://registry.acme.io/ui/${org}/service-${block % appCount}`,
            registryName: 'registry.acme.io',
            pkgName: osPkg,
            installedVersion: pkgVersion,
            fixedVersion: vulns[0].majorVerWithFix,
          },
        ],
      },
    }
  }

  const positionsFor = (categories: string[] | undefined): number[] => {
    const all = Array.from({ length: BLOCK }, (_, p) => p)
    if (!categories?.length) return all
    return all.filter((p) => {
      const k = KIND_AT(p)
      const name =
        k === 'sca'
          ? 'Open Source Security'
          : k === 'container'
            ? 'Container Security'
            : OTHER_CATEGORIES[p % OTHER_CATEGORIES.length]!.name
      return categoryMatches({ category: { name, categoryId: CATEGORY_IDS[name] ?? -1 } }, categories)
    })
  }

  return {
    query(filter) {
      // block b belongs to app b % appCount; a filter keeps some positions of some blocks, so the k-th match is arithmetic
      const positions = positionsFor(filter.categories)
      let selected: number[] | null = null
      if (filter.appIds?.length || filter.appNames?.length) {
        const set = new Set<number>()
        for (const id of filter.appIds ?? []) if (appIndexById.has(id)) set.add(appIndexById.get(id)!)
        for (const name of filter.appNames ?? [])
          for (let a = 0; a < appCount; a++) if (appAt(a).appName === name) set.add(a)
        selected = [...set].sort((x, y) => x - y)
      }
      const blockOk = (b: number) => b < totalBlocks
      const inIssue = (b: number, p: number) => b * BLOCK + p < totalIssues
      // blocks in order of the filtered sequence
      const blockAt = (ord: number): number => {
        if (!selected) return ord
        const cycle = Math.floor(ord / selected.length)
        return cycle * appCount + selected[ord % selected.length]!
      }
      let blocks = 0
      if (!selected) blocks = totalBlocks
      else for (const a of selected) blocks += a < totalBlocks ? Math.floor((totalBlocks - 1 - a) / appCount) + 1 : 0
      let total = blocks * positions.length
      // blocks come in increasing order, so only the last one can be the dataset's partial last block
      if (blocks > 0) {
        const lastOrd = blocks - 1
        const lastBlock = blockAt(lastOrd)
        if (blockOk(lastBlock)) total -= positions.filter((p) => !inIssue(lastBlock, p)).length
      }
      return {
        total,
        totalAll: totalIssues,
        at: (k: number) => {
          if (k < 0 || k >= total) return undefined
          const ord = Math.floor(k / positions.length)
          const b = blockAt(ord)
          const i = b * BLOCK + positions[k % positions.length]!
          return i < totalIssues ? issueAt(i) : undefined
        },
      }
    },
    issue(issueId) {
      const i = Number(/-(\d+)$/.exec(issueId)?.[1])
      if (!Number.isInteger(i) || i < 0 || i >= totalIssues) return undefined
      const issue = issueAt(i)
      return issue.issueId === issueId ? issue : undefined
    },
    applications: () => [...Array.from({ length: appCount }, (_, a) => appAt(a)), ...fakeApps],
  }
}
