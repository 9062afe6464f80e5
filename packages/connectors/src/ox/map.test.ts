import { existsSync, readFileSync } from 'node:fs'
import { isSkip, type MappedFinding } from '@vulnsync/core'
import { describe, expect, it } from 'vitest'
import { parseThenMap } from '../kit/records.ts'
import { mapOxIssue } from './map.ts'
import { type OxApplication, OxIssue } from './raw.ts'

// the real captures live once, with the OX simulator that serves them; connector-only fixtures stay in ./fixtures
const fixture = (name: string): any => {
  const local = new URL(`./fixtures/${name}`, import.meta.url)
  const captured = new URL(`../../../simulators/src/ox/fixtures/${name}`, import.meta.url)
  return JSON.parse(readFileSync(existsSync(local) ? local : captured, 'utf8'))
}
const listIssues: any[] = fixture('getissues_response.json').data.getIssues.issues
const single: any = fixture('getsingleissue_response.json').data.getSingleIssueInfo
const apps: OxApplication[] = fixture('getappsshort_response.json').data.getApplications.applications
const appById = new Map(apps.map((a) => [a.appId, a]))
const container: any = fixture('container_issue.constructed.json')

/** an issue as the connector handles it: validated once by read, then mapped with its application */
const map = (issue: any, app: OxApplication | null = appById.get(issue?.app?.id) ?? null) =>
  parseThenMap(OxIssue, 'an OX issue', (parsed) =>
    mapOxIssue({ issue: parsed, app, uiBase: 'https://app.ox.security' }),
  )(issue)
const findings = (issue: any, app?: OxApplication | null): MappedFinding[] => {
  const r = map(issue, app)
  if (isSkip(r)) throw new Error(`skipped: ${r.skip} ${r.detail}`)
  return r
}

/** the Dec 2023 list row of the issue the single-issue capture covers: createdAt lives there */
const listRowOfSingle = listIssues.find((i) => i.issueId === single.issueId)

describe('OX map: real captures', () => {
  it('maps an empty page to no findings', () => {
    const empty = { data: { getIssues: { issues: [], totalIssues: 0, totalFilteredIssues: 0, offset: 1000 } } }
    expect(empty.data.getIssues.issues.map((i) => map(i))).toEqual([])
  })

  it('maps the one real getSingleIssueInfo capture to one finding for CVE-2016-1000027', () => {
    const [f, ...rest] = findings({ ...single, createdAt: listRowOfSingle.createdAt })
    expect(rest).toEqual([])
    expect(f).toMatchObject({
      sourceKey: '584352228-oxPolicy_securityScan_120-org.springframework:spring-web_5.3.19',
      cve: 'CVE-2016-1000027',
      package: {
        purl: 'pkg:maven/org.springframework/spring-web@5.3.19',
        name: 'org.springframework:spring-web',
        ecosystem: 'maven',
        version: '5.3.19',
      },
      target: {
        kind: 'repository',
        name: 'OX-Security-Demo/Bank-Website',
        url: 'https://github.com/OX-Security-Demo/Bank-Website',
        externalId: { provider: 'github', id: '584352228' },
      },
      severity: 'critical',
      vendorSeverity: 'Critical',
      cvss: { score: 9.8 },
      fixedVersions: ['6.0.0'],
      signals: { fixAvailable: false, direct: true },
      link: 'https://app.ox.security/issues?issueId=584352228-oxPolicy_securityScan_120-org.springframework%3Aspring-web_5.3.19',
    })
    expect(f!.detectedAt?.toISOString()).toBe(new Date(1693550422116).toISOString())
    expect(f!.evidence).toMatchObject({
      originalToolSeverity: 'Critical',
      location: 'pom.xml line: 31',
      locationLink: 'https://github.com/OX-Security-Demo/Bank-Website/blob/main/pom.xml#L31',
      dependencyChain: 'spring-web',
      cwe: ['CWE-502'],
    })
  })

  it('keeps every OX severity factor with its text', () => {
    const [f] = findings({ ...single, createdAt: listRowOfSingle.createdAt })
    expect(f!.vendorFactors).toHaveLength(single.severityChangedReason.length)
    expect(f!.vendorFactors[0]).toEqual({
      name: 'Critical Business Priority',
      text: expect.stringContaining('Critical Business Priority are those identified by OX'),
      effect: 'raise',
    })
    expect(f!.vendorFactors.map((v) => v.name)).toContain('Vulnerable Package Imported')
    const factors = f!.evidence.severityFactors as any[]
    expect(factors[1]).toMatchObject({
      shortName: 'App connects with PostgreSQL',
      changeCategory: 'Damage',
      changeNumber: 0.1,
    })
    expect(factors[1].extraInfo[0]).toMatchObject({ file: 'src/main/java/com/scalesec/vulnado/Comment.java', line: 40 })
  })

  it('takes the detection time from createdAt, never from created (the scan time)', () => {
    // the single-issue capture has `created` (scan time) but no createdAt: no detection time rather than the scan time
    const [f] = findings(single)
    expect(f!.detectedAt).toBeNull()
    const row = findings({ ...single, createdAt: 1693550422116, created: 1701763814500 })[0]!
    expect(row.detectedAt!.getTime()).toBe(1693550422116)
  })

  it('maps all 635 captured issues: other categories out_of_scope, SCA issues by their own CVE', () => {
    const results = listIssues.map((i) => map(i))
    const skips = results.filter(isSkip)
    const counts: Record<string, number> = {}
    for (const s of skips) counts[s.skip] = (counts[s.skip] ?? 0) + 1
    // 635 issues: 524 of other categories; of the 111 Open Source Security issues, the list (no SCA details
    // selected) names a CVE for 94; 3 name only a GHSA id, 14 name no vulnerability id in their title
    expect(counts.out_of_scope).toBe(524)
    expect(counts.no_cve).toBe(17)
    const mapped = results.filter((r): r is MappedFinding[] => !isSkip(r))
    expect(mapped).toHaveLength(94)
    expect(mapped.every((m) => m.length === 1 && m[0]!.evidence.cveOnlyFromTitle === true)).toBe(true)
    expect(new Set(mapped.map((m) => m[0]!.sourceKey)).size).toBe(94)
    // every one has OX's first-detection time, not the scan time (1701763814500 for all)
    expect(mapped.every((m) => m[0]!.detectedAt !== null && m[0]!.detectedAt.getTime() !== 1701763814500)).toBe(true)
  })

  it('maps a captured Dockerfile base-image issue to the image, with the repository as its source', () => {
    const row = listIssues.find((i) => i.issueId === '584352228-oxPolicy_deployment_221-openjdk_8_Dockerfile')
    const [f] = findings(row)
    expect(f!.cve).toBe('CVE-2019-8457')
    expect(f!.target).toEqual({
      kind: 'image',
      name: 'openjdk',
      sourceRepoUrl: 'https://github.com/OX-Security-Demo/Bank-Website',
    })
    expect(f!.evidence.image).toMatchObject({ tag: '8', baseImage: 'openjdk:8', dockerfile: 'Dockerfile' })
  })

  it('skips a finding with no CVE as no_cve (GHSA-only Newtonsoft.Json issue of the capture)', () => {
    const row = listIssues.find((i) => i.issueId === '335646257-oxPolicy_securityScan_120-Newtonsoft.Json_12.0.3')
    expect(map(row)).toMatchObject({ skip: 'no_cve' })
    const withDetails = {
      ...row,
      scaVulnerabilities: [{ cve: 'GHSA-5crp-9r3c-p9vr', libName: 'Newtonsoft.Json', libVersion: '12.0.3' }],
    }
    expect(map(withDetails)).toMatchObject({ skip: 'no_cve' })
  })

  it('skips issues of other categories as out_of_scope and reads Container Security by id alone', () => {
    const code = listIssues.find((i) => i.category.name === 'Code Security')
    expect(map(code)).toMatchObject({ skip: 'out_of_scope' })
    const byId = { ...container, category: { categoryId: 12 } }
    expect(findings(byId)).toHaveLength(2)
  })

  it('skips a record without an issueId as invalid_record', () => {
    expect(map({ ...single, issueId: undefined })).toMatchObject({ skip: 'invalid_record' })
    expect(map(null)).toMatchObject({ skip: 'invalid_record' })
  })
})

describe('OX map: fan-out per CVE', () => {
  // the Dec 2023 row of the same issue lists two vulnerable dependencies: spring-web (direct) and spring-beans (indirect)
  const issue = {
    ...single,
    createdAt: listRowOfSingle.createdAt,
    secondTitle: listRowOfSingle.secondTitle,
    noneDirectSCAVulnerability: [
      {
        cve: 'CVE-2022-22965',
        cvsVer: '9.8',
        libName: 'spring-beans',
        libVersion: '5.1.4.RELEASE',
        chainDepth: 1,
        dependencyChain: 'spring-web > spring-beans',
        minorVerWithFix: '5.2.20.RELEASE',
        majorVerWithFix: '5.3.18',
        originalSeverity: 'Critical',
      },
    ],
    scaVulnerabilities: [
      ...single.scaVulnerabilities.map((v: any) => ({ ...v, epss: 0.5, percentile: 0.97, exploitInTheWild: true })),
      { cve: 'CVE-2022-22965', epss: 0.97, percentile: 0.999, exploitInTheWild: true },
    ],
  }

  it('fans one OX issue out to one finding per CVE, each on the package that carries it', () => {
    const fs = findings(issue)
    expect(fs.map((f) => f.cve)).toEqual(['CVE-2016-1000027', 'CVE-2022-22965'])
    expect(fs.every((f) => f.sourceKey === issue.issueId)).toBe(true)
    const beans = fs[1]!
    // the short libName "spring-beans" is resolved to its Maven coordinate through the issue's dependency list
    expect(beans.package.purl).toBe('pkg:maven/org.springframework/spring-beans@5.1.4.RELEASE')
    expect(beans.fixedVersions).toEqual(['5.2.20.RELEASE', '5.3.18'])
    expect(beans.signals).toMatchObject({
      direct: false,
      exploitInTheWild: true,
      epss: { score: 0.97, percentile: 0.999 },
    })
    expect(beans.evidence).toMatchObject({
      dependencyChain: 'spring-web > spring-beans',
      triggerPackage: 'org.springframework:spring-web@5.3.19',
    })
    expect(fs[0]!.signals).toMatchObject({ direct: true, epss: { score: 0.5, percentile: 0.97 } })
    // the same detection time and severity factors for every CVE of the issue
    expect(new Set(fs.map((f) => f.detectedAt?.getTime()))).toEqual(new Set([1693550422116]))
    expect(fs[1]!.vendorFactors).toEqual(fs[0]!.vendorFactors)
  })

  it('gives one finding per CVE and package: other versions of the package go to evidence, another package gets its own key', () => {
    const jest = {
      issueId: 'app-oxPolicy_securityScan_120-jest_26.6.3',
      category: { name: 'Open Source Security', categoryId: 6 },
      severity: 'Medium',
      createdAt: 1690000000000,
      app: { id: '584102675', name: 'OX-Security-Demo/Multi-currency-management', type: 'GitHub' },
      scaTriggerPkg: 'jest@26.6.3',
      sbom: { packageManager: 'npm' },
      scaVulnerabilities: [
        { cve: 'CVE-2022-25883', libName: 'semver', libVersion: '6.3.0', chainDepth: 3 },
        { cve: 'CVE-2022-25883', libName: 'semver', libVersion: '7.5.1', chainDepth: 2 },
        { cve: 'CVE-2022-25883', libName: 'semver-clone', libVersion: '1.0.0', chainDepth: 2 },
        { cve: 'CVE-2023-26136', libName: 'tough-cookie', libVersion: '4.1.2', chainDepth: 2 },
      ],
    }
    const fs = findings(jest)
    expect(fs.map((f) => [f.cve, f.package.purl, f.sourceKey])).toEqual([
      ['CVE-2022-25883', 'pkg:npm/semver@6.3.0', jest.issueId],
      ['CVE-2022-25883', 'pkg:npm/semver-clone@1.0.0', `${jest.issueId}#pkg:npm/semver-clone`],
      ['CVE-2023-26136', 'pkg:npm/tough-cookie@4.1.2', jest.issueId],
    ])
    expect(fs[0]!.evidence.otherVersions).toEqual(['7.5.1'])
    expect(fs[0]!.target).toMatchObject({
      name: 'OX-Security-Demo/Multi-currency-management',
      url: 'https://github.com/OX-Security-Demo/Multi-currency-management',
    })
  })
})

describe('OX map: container issues, severity, repositories', () => {
  it('maps a container issue to the image (no tag) with tag, digest, layer and base image as evidence', () => {
    const fs = findings(container)
    expect(fs).toHaveLength(2)
    const [a, b] = fs
    expect(a!.target).toEqual({
      kind: 'image',
      name: 'ghcr.io/ox-security-demo/bank-website',
      sourceRepoUrl: 'https://github.com/OX-Security-Demo/Bank-Website',
    })
    expect(a!.package).toEqual({
      purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u1?distro=debian-12.2',
      name: 'openssl',
      ecosystem: 'deb',
      version: '3.0.11-1~deb12u1',
    })
    expect(a!.evidence.image).toMatchObject({
      name: 'ghcr.io/ox-security-demo/bank-website',
      tag: '2.4.1',
      digest: expect.stringMatching(/^sha256:4f1a/),
      layer: expect.stringMatching(/^sha256:9a8b/),
      baseImage: 'debian:12',
      os: 'debian 12.2',
      registry: 'ghcr.io',
    })
    expect(a!.fixedVersions).toEqual(['3.0.14-1~deb12u1'])
    expect(b!.fixedVersions).toEqual([]) // "Not Available" means none
    expect(b!.signals).toMatchObject({
      epss: { score: 0.0021, percentile: 0.58 },
      exploitInTheWild: true,
      fixAvailable: true,
    })
  })

  it('maps Appoxalypse to critical and keeps the original tool severity and the factor effects', () => {
    const [f] = findings(container)
    expect(f!.severity).toBe('critical')
    expect(f!.vendorSeverity).toBe('Appoxalypse')
    expect(f!.evidence.originalToolSeverity).toBe('Critical')
    expect(f!.vendorFactors).toEqual([
      { name: 'Deployed in Production', text: 'The image runs in a production Kubernetes cluster.', effect: 'raise' },
      {
        name: 'Base Image Vulnerability',
        text: 'The vulnerable package comes from the base image debian:12.',
        effect: 'lower',
      },
    ])
  })

  it('finds the repository from getApplications link, else the app flows, else organisation + repo name', () => {
    const base = { ...single, createdAt: 1 }
    expect(findings(base, appById.get('584352228'))[0]!.target.url).toBe(
      'https://github.com/OX-Security-Demo/Bank-Website',
    )
    // no getApplications entry: the app's applicationFlows.repository link
    expect(findings(base, null)[0]!.target).toMatchObject({
      url: 'https://github.com/OX-Security-Demo/Bank-Website',
      name: 'OX-Security-Demo/Bank-Website',
    })
    // neither: organisation/repoName with the app type; a GitHub app's id is the GitHub repository id
    const bare = {
      ...base,
      app: {
        id: '584352228',
        name: 'OX-Security-Demo/Bank-Website',
        type: 'GitHub',
        organization: 'OX-Security-Demo',
        repoName: 'Bank-Website',
      },
    }
    expect(findings(bare, null)[0]!.target).toEqual({
      kind: 'repository',
      name: 'OX-Security-Demo/Bank-Website',
      url: undefined,
      externalId: { provider: 'github', id: '584352228' },
    })
    // GitLab group path from the link
    const gl = { ...bare, app: { id: '39822797', name: 'Publisher / notification-center', type: 'GitLab' } }
    expect(
      findings(gl, {
        appId: '39822797',
        link: 'https://gitlab.com/doubleverify/publisher/notification-center',
      } as OxApplication)[0]!.target,
    ).toEqual({
      kind: 'repository',
      name: 'doubleverify/publisher/notification-center',
      url: 'https://gitlab.com/doubleverify/publisher/notification-center',
      externalId: { provider: 'gitlab', id: '39822797' },
    })
  })
})

describe('OX map: ownership', () => {
  it('carries the application with its business priority, the owners OX mapped and the manifest path (real capture)', () => {
    const [f] = findings({ ...single, createdAt: listRowOfSingle.createdAt })
    expect(f!.ownership).toEqual({
      label: 'OX',
      application: { key: '584352228', name: 'OX-Security-Demo/Bank-Website', businessPriority: 97 },
      owners: ['Kostya Zhuruev'],
    })
    // "pom.xml line: 31" names the manifest; the line is not part of the path
    expect(f!.manifestPath).toBe('pom.xml')
  })

  it('gives no application for a fakeApp pseudo-application, and nothing without application or owners', () => {
    const fake = { ...single, app: { ...single.app, fakeApp: true }, owners: [] }
    expect(findings(fake)[0]!.ownership).toBeUndefined()
    const ownersOnly = { ...single, app: { ...single.app, fakeApp: true }, owners: ['  ', 'Payments'] }
    expect(findings(ownersOnly)[0]!.ownership).toEqual({ label: 'OX', owners: ['Payments'] })
    // a business priority outside 0–100 is not one
    const odd = { ...single, app: { ...single.app, businessPriority: 170 } }
    expect(findings(odd)[0]!.ownership!.application).toEqual({
      key: '584352228',
      name: 'OX-Security-Demo/Bank-Website',
      businessPriority: undefined,
    })
  })

  it('takes the manifest path from the aggregation when there is no SBOM location, and none for an image', () => {
    const agg = {
      ...single,
      sbom: null,
      aggregations: { type: 'sca', items: [{ filePath: 'services/pay/package-lock.json', pkgName: 'x' }] },
    }
    expect(findings(agg)[0]!.manifestPath).toBe('services/pay/package-lock.json')
    expect(findings(container).every((f) => f.manifestPath === undefined)).toBe(true)
  })
})
