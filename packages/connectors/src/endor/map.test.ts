import { readFileSync } from 'node:fs'
import { isSkip, type MappedFinding, type Skip } from '@vulnsync/core'
import { createEndorDataset, expectedEndorImport } from '@vulnsync/simulators/endor/index.ts'
import { describe, expect, it } from 'vitest'
import { endorConnector } from './index.ts'
import { endorPackage, mapEndorFinding, parseEndorTime, projectInfo } from './map.ts'
import { EndorFinding, EndorProject, type EndorRaw } from './raw.ts'

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))
const LOG4J = fixture('findings_list_log4j.json').list.objects[0]
const PROJECT = projectInfo(EndorProject.parse(fixture('project_doc_example.json')))

const clone = <T>(x: T): T => structuredClone(x)
const raw = (finding: unknown, project = PROJECT as EndorRaw['project']): EndorRaw => ({
  finding: EndorFinding.parse(finding),
  project,
})
const mapped = (finding: unknown, project?: EndorRaw['project']): MappedFinding[] => {
  const r = mapEndorFinding(raw(finding, project))
  if (isSkip(r)) throw new Error(`expected findings, got skip ${r.skip}`)
  return r
}
const skipped = (finding: unknown): Skip => {
  const r = mapEndorFinding(raw(finding))
  if (!isSkip(r)) throw new Error('expected a skip')
  return r
}
/** the log4j finding with its spec patched */
const withSpec = (patch: Record<string, unknown>, top: Record<string, unknown> = {}) => {
  const f = clone(LOG4J)
  Object.assign(f.spec, patch)
  return Object.assign(f, top)
}
const withVuln = (patch: Record<string, unknown>, meta?: Record<string, unknown>) => {
  const f = clone(LOG4J)
  Object.assign(f.spec.finding_metadata.vulnerability.spec, patch)
  if (meta) Object.assign(f.spec.finding_metadata.vulnerability.meta, meta)
  return f
}
const mapAll = (objects: unknown[]) => {
  const out: MappedFinding[] = []
  const skips: Record<string, number> = {}
  for (const o of objects) {
    const r = endorConnector.map(raw(o), { fetchedAt: new Date() })
    if (isSkip(r)) skips[r.skip] = (skips[r.skip] ?? 0) + 1
    else out.push(...r)
  }
  return { out, skips }
}

describe('endor map: none, one, many', () => {
  it('maps an empty findings page to no findings and no skips', () => {
    expect(mapAll([])).toEqual({ out: [], skips: {} })
  })

  it('maps the log4j finding to one CVE occurrence with everything Endor says', () => {
    const [m, ...rest] = mapped(LOG4J)
    expect(rest).toEqual([])
    expect(m).toMatchObject({
      sourceKey: '6656f0c2a3b4c5d6e7f80910',
      cve: 'CVE-2021-44228',
      aliases: ['GHSA-jfh8-c2jp-5v3q'],
      package: {
        purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
        name: 'org.apache.logging.log4j:log4j-core',
        ecosystem: 'maven',
        version: '2.14.1',
      },
      target: {
        kind: 'repository',
        name: 'endorlabs/monorepo',
        url: 'https://github.com/my_organization/my_repository.git',
      },
      scope: '656e69058032bf0abaaeb681',
      severity: 'critical',
      vendorSeverity: 'FINDING_LEVEL_CRITICAL',
      cvss: { score: 10, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', version: '3.1' },
      fixedVersions: ['2.15.0'],
      vendorState: 'open',
      title: 'Remote code injection in Log4j',
      link: 'https://app.endorlabs.com/t/acme.backend/findings/6656f0c2a3b4c5d6e7f80910',
    })
    expect(m!.detectedAt?.toISOString()).toBe('2024-05-29T10:12:33.123Z')
    expect(m!.signals).toEqual({
      epss: { score: 0.9447, percentile: 0.9999 },
      kev: { listed: true, source: 'CISA KEV (Endor Labs)' },
      reachability: { function: 'reachable', dependency: 'reachable' },
      fixAvailable: true,
      direct: true,
      testOnly: false,
    })
    expect(m!.evidence).toMatchObject({
      manifestFiles: ['pom.xml'],
      locationUrls: [{ path: 'pom.xml', url: 'https://github.com/acme/backend/blob/main/pom.xml' }],
      dependency: 'direct',
      reachabilityTags: ['FINDING_TAGS_REACHABLE_DEPENDENCY', 'FINDING_TAGS_REACHABLE_FUNCTION'],
      epss: { probability: 0.9447, percentile: 0.9999 },
      kev: { listed: true, via: 'FINDING_TAGS_EXPLOITED' },
      remediation:
        'Update project to use org.apache.logging.log4j:log4j-core version 2.17.1 (current: 2.14.1, latest: 2.23.1).',
      proposedVersion: '2.17.1',
      advisory: 'GHSA-jfh8-c2jp-5v3q',
      cwe: 'CWE-502',
      sourceRef: { ref: 'main', sha: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0' },
      namespace: 'acme.backend',
    })
  })

  it('maps many generated findings: every CVE-bearing main vulnerability, the rest counted by reason', () => {
    const ds = createEndorDataset({ findings: 600 })
    const objects = Array.from({ length: 600 }, (_, i) => ds.finding(i))
    const { out, skips } = mapAll(objects)
    const exp = expectedEndorImport(ds)
    expect(out.length).toBe(exp.mapped)
    expect(skips.no_cve).toBe(exp.noCve)
    expect((skips.non_main_context ?? 0) + (skips.not_vulnerability ?? 0) + exp.listed).toBe(600)
    for (const m of out) {
      expect(m.cve).toMatch(/^CVE-\d{4}-\d{4,}$/)
      expect(m.detectedAt).toBeInstanceOf(Date)
      expect(m.package.purl).toMatch(/^pkg:[a-z]+\/.+@/)
      expect(m.link).toMatch(/^https:\/\/app\.endorlabs\.com\/t\/acme/)
    }
  })
})

describe('endor map: quirks', () => {
  it('skips a GHSA-only finding (no CVE anywhere) as no_cve', () => {
    expect(skipped(withVuln({ aliases: ['GHSA-aaaa-bbbb-cccc'], raw: {} }))).toMatchObject({
      skip: 'no_cve',
      detail: 'GHSA-jfh8-c2jp-5v3q',
    })
  })

  it('skips a malware finding (MAL- id) as no_cve', () => {
    const f = withVuln({ aliases: [], raw: {} }, { name: 'MAL-2024-1234' })
    f.spec.extra_key = 'MAL-2024-1234'
    f.meta.description = 'MAL-2024-1234: Malicious code in evil-pkg'
    expect(skipped(f).skip).toBe('no_cve')
  })

  it('takes the CVE from the advisory id when the advisory is a CVE', () => {
    const f = withVuln({ aliases: ['GHSA-jfh8-c2jp-5v3q'], raw: {} }, { name: 'CVE-2021-44228' })
    f.spec.extra_key = 'CVE-2021-44228'
    f.meta.description = 'CVE-2021-44228: Remote code injection in Log4j'
    expect(mapped(f).map((m) => [m.cve, m.aliases])).toEqual([['CVE-2021-44228', ['GHSA-jfh8-c2jp-5v3q']]])
  })

  it('takes the CVE from the Endor raw record when aliases carry none', () => {
    const f = withVuln(
      { aliases: [], raw: { endor_vulnerability: { cve_id: 'CVE-2023-1111' } } },
      { name: 'GO-2023-2000' },
    )
    f.spec.extra_key = 'GO-2023-2000'
    f.meta.description = 'GO-2023-2000: x'
    expect(mapped(f).map((m) => [m.cve, m.aliases])).toEqual([['CVE-2023-1111', ['GO-2023-2000']]])
  })

  it('fans out one finding with two CVE aliases into two occurrences with the same source key', () => {
    const ms = mapped(withVuln({ aliases: ['CVE-2021-45046', 'CVE-2021-44228', 'GHSA-7rjr-3q55-vv33'], raw: {} }))
    expect(ms.map((m) => m.cve)).toEqual(['CVE-2021-44228', 'CVE-2021-45046'])
    expect(new Set(ms.map((m) => m.sourceKey))).toEqual(new Set(['6656f0c2a3b4c5d6e7f80910']))
    expect(ms[0]!.aliases).toEqual(['GHSA-7rjr-3q55-vv33', 'GHSA-jfh8-c2jp-5v3q'])
  })

  it('skips a finding without category Vulnerability as not_vulnerability', () => {
    expect(skipped(withSpec({ finding_categories: ['FINDING_CATEGORY_LICENSE_RISK'] }))).toMatchObject({
      skip: 'not_vulnerability',
      detail: 'FINDING_CATEGORY_LICENSE_RISK',
    })
  })

  it('skips findings of a CI run or a branch as non_main_context', () => {
    expect(skipped(withSpec({}, { context: { type: 'CONTEXT_TYPE_CI_RUN', id: 'abc' } })).skip).toBe('non_main_context')
    expect(skipped(withSpec({}, { context: { type: 'CONTEXT_TYPE_REF', id: 'develop' } })).skip).toBe(
      'non_main_context',
    )
  })

  it('reads severity from spec.level, falling back on CVSS when the level is unspecified', () => {
    for (const [level, sev] of [
      ['FINDING_LEVEL_CRITICAL', 'critical'],
      ['FINDING_LEVEL_HIGH', 'high'],
      ['FINDING_LEVEL_MEDIUM', 'medium'],
      ['FINDING_LEVEL_LOW', 'low'],
    ])
      expect(mapped(withSpec({ level }))[0]!.severity).toBe(sev)
    expect(mapped(withSpec({ level: 'FINDING_LEVEL_UNSPECIFIED' }))[0]!.severity).toBe('critical') // CVSS 10.0
    const noScore = withSpec({ level: 'FINDING_LEVEL_UNSPECIFIED' })
    delete noScore.spec.finding_metadata.vulnerability.spec.cvss_v3_severity
    expect(mapped(noScore)[0]!.severity).toBe('info')
  })

  it('keeps Endor detection time from meta.create_time, nanoseconds included', () => {
    const f = clone(LOG4J)
    f.meta.create_time = '2024-05-01T16:50:03.830911988Z'
    expect(mapped(f)[0]!.detectedAt?.toISOString()).toBe('2024-05-01T16:50:03.830Z')
    expect(parseEndorTime('2023-12-05T00:04:21Z')?.toISOString()).toBe('2023-12-05T00:04:21.000Z')
    expect(parseEndorTime('0001-01-01T00:00:00Z')).toBeNull()
    delete f.meta.create_time
    expect(mapped(f)[0]!.detectedAt).toBeNull()
  })

  it('turns every Endor ecosystem prefix into a package URL', () => {
    const cases: Array<[string, string | undefined, string]> = [
      [
        'npm://@babel/plugin-syntax-async-generators@7.8.4',
        undefined,
        'pkg:npm/%40babel/plugin-syntax-async-generators@7.8.4',
      ],
      ['npm://lodash@4.17.20', undefined, 'pkg:npm/lodash@4.17.20'],
      ['mvn://org.slf4j:slf4j-api@2.0.0', undefined, 'pkg:maven/org.slf4j/slf4j-api@2.0.0'],
      ['pypi://Django@4.2', undefined, 'pkg:pypi/django@4.2'],
      ['go://golang.org/x/net@v0.17.0', undefined, 'pkg:golang/golang.org/x/net@v0.17.0'],
      ['gem://rails@7.0.1', undefined, 'pkg:gem/rails@7.0.1'],
      ['rubygems://rack@2.2.3', undefined, 'pkg:gem/rack@2.2.3'],
      ['nuget://Newtonsoft.Json@12.0.1', undefined, 'pkg:nuget/newtonsoft.json@12.0.1'],
      ['cargo://tokio@1.20.0', undefined, 'pkg:cargo/tokio@1.20.0'],
      ['packagist://symfony/http-kernel@5.4.1', undefined, 'pkg:composer/symfony/http-kernel@5.4.1'],
      ['composer://guzzlehttp/guzzle@7.4.0', undefined, 'pkg:composer/guzzlehttp/guzzle@7.4.0'],
      // one package identity for every scanner (ADR 0004): a Debian package without a distribution is debian's
      ['debian://openssl@1.1.1n-0+deb11u3', undefined, 'pkg:deb/debian/openssl@1.1.1n-0+deb11u3'],
      ['whatever://left-pad@1.0.0', 'ECOSYSTEM_NPM', 'pkg:npm/left-pad@1.0.0'],
      ['left-pad@1.0.0', 'ECOSYSTEM_NPM', 'pkg:npm/left-pad@1.0.0'],
      ['strange://thing@1', undefined, 'pkg:generic/thing@1'],
    ]
    for (const [name, ecosystem, purl] of cases)
      expect(endorPackage({ target_dependency_package_name: name, ecosystem } as any)?.purl, name).toBe(purl)
    expect(
      endorPackage({
        target_dependency_name: 'org.a:b',
        target_dependency_version: '1.0',
        ecosystem: 'ECOSYSTEM_MAVEN',
      } as any)?.purl,
    ).toBe('pkg:maven/org.a/b@1.0')
  })

  it('skips a finding that names no package as no_package', () => {
    expect(skipped(withSpec({ target_dependency_package_name: null, target_dependency_name: null })).skip).toBe(
      'no_package',
    )
  })

  it('collects fixed versions from the affected ranges of this package, deduplicated', () => {
    const ms = mapped(
      withVuln({
        affected: [
          {
            package: { name: 'org.apache.logging.log4j:log4j-core' },
            ranges: [
              { type: 'RANGE_TYPE_ECOSYSTEM', introduced: '2.0', fixed: '2.15.0' },
              { introduced: '2.13', fixed: '2.12.2' },
              { fixed: '2.15.0' },
            ],
          },
          { package: { name: 'org.apache.logging.log4j:log4j-api' }, ranges: [{ fixed: '9.9.9' }] },
          {
            package: { name: 'org.apache.logging.log4j:log4j-core' },
            ranges: [{ type: 'RANGE_TYPE_GIT', fixed: 'abc123' }],
          },
        ],
      }),
    )
    expect(ms[0]!.fixedVersions).toEqual(['2.15.0', '2.12.2'])
  })

  it('falls back on the proposed version when the ranges name no fix, but not for an unfixable finding', () => {
    expect(mapped(withVuln({ affected: [] }))[0]!.fixedVersions).toEqual(['2.17.1'])
    const unfix = withVuln({ affected: [] })
    unfix.spec.finding_tags = ['FINDING_TAGS_UNFIXABLE', 'FINDING_TAGS_TRANSITIVE', 'FINDING_TAGS_TEST']
    const [m] = mapped(unfix)
    expect(m!.fixedVersions).toEqual([])
    expect(m!.signals).toMatchObject({ fixAvailable: false, direct: false, testOnly: true, kev: { listed: false } })
    expect(m!.evidence).toMatchObject({ dependency: 'transitive', scope: 'test' })
  })

  it('marks dismissed and exception-policy findings but still imports them', () => {
    expect(mapped(withSpec({ dismiss: true }))[0]!.vendorState).toBe('dismissed')
    const exc = withSpec({ exceptions: { policy_uuids: ['6651aaaa'], tags: ['accepted-risk'] } })
    exc.spec.finding_tags.push('FINDING_TAGS_EXCEPTION')
    const [m] = mapped(exc)
    expect(m!.vendorState).toBe('excepted')
    expect(m!.evidence.exceptions).toEqual({ policyUuids: ['6651aaaa'], tags: ['accepted-risk'] })
  })

  it('maps potentially reachable tags to unknown reachability and no tags to undefined', () => {
    const f = withSpec({
      finding_tags: ['FINDING_TAGS_POTENTIALLY_REACHABLE_FUNCTION', 'FINDING_TAGS_UNREACHABLE_DEPENDENCY'],
    })
    expect(mapped(f)[0]!.signals.reachability).toEqual({ function: 'unknown', dependency: 'unreachable' })
    const none = withSpec({ finding_tags: [] })
    none.spec.finding_metadata.vulnerability.spec.raw = {}
    expect(mapped(none)[0]!.signals).toEqual({ epss: { score: 0.9447, percentile: 0.9999 }, fixAvailable: true })
  })

  it('reads the KEV record of the advisory', () => {
    const f = withVuln({ raw: { kev_record: { cve_id: 'CVE-2021-44228', date_added: '2021-12-10' } } })
    f.spec.finding_tags = ['FINDING_TAGS_DIRECT']
    expect(mapped(f)[0]!.signals.kev).toEqual({
      listed: true,
      dateAdded: '2021-12-10',
      source: 'CISA KEV (Endor Labs)',
    })
  })

  it('accepts location_urls as a list as well as a map', () => {
    expect(
      mapped(withSpec({ location_urls: ['https://github.com/a/b/blob/main/pom.xml'] }))[0]!.evidence.locationUrls,
    ).toEqual([{ url: 'https://github.com/a/b/blob/main/pom.xml' }])
  })

  it('names the repository from the project, whatever form its URL takes', () => {
    const p = (spec: unknown, name = 'x') =>
      projectInfo(EndorProject.parse({ uuid: 'p1', tenant_meta: { namespace: 'acme' }, meta: { name }, spec }))
    expect(p({ git: { http_clone_url: 'https://GitHub.com/ACME/Mobile-4.git/' } })).toMatchObject({
      url: 'https://GitHub.com/ACME/Mobile-4.git/',
      name: 'acme/mobile-4',
    })
    expect(
      p({ git: { http_clone_url: '', git_clone_url: 'git@bitbucket.org:acme/tools.git', full_name: 'acme/tools' } }),
    ).toMatchObject({ url: 'git@bitbucket.org:acme/tools.git', name: 'acme/tools' })
    expect(p({ git: { http_clone_url: 'https://www.gitlab.com/acme/platform/api.git' } })).toMatchObject({
      name: 'acme/platform/api',
    })
    expect(p({ sbom: { kind: 'SBOM_KIND_CYCLONEDX' } }, 'acme-firmware')).toEqual({
      uuid: 'p1',
      namespace: 'acme',
      url: undefined,
      name: 'acme-firmware',
      platformSource: undefined,
    })
    expect(p({}, 'https://github.com/acme/from-name.git')).toMatchObject({
      url: 'https://github.com/acme/from-name.git',
      name: 'acme/from-name',
    })
  })

  it('keeps a finding whose project is unknown, named by the project uuid and without URL', () => {
    const [m] = mapped(LOG4J, null)
    expect(m!.target).toEqual({ kind: 'repository', name: 'endor project 656e69058032bf0abaaeb681', url: undefined })
    expect(m!.scope).toBe('656e69058032bf0abaaeb681')
  })

  it('links to the Endor app of the API host the connection uses', () => {
    const r = mapEndorFinding({ ...raw(LOG4J), appUrl: 'https://app.staging.endorlabs.com/' }) as MappedFinding[]
    expect(r[0]!.link).toBe('https://app.staging.endorlabs.com/t/acme.backend/findings/6656f0c2a3b4c5d6e7f80910')
  })

  it('is pure: the same record maps to the same result and is not modified', () => {
    const r = raw(clone(LOG4J))
    const before = JSON.stringify(r)
    expect(mapEndorFinding(r)).toEqual(mapEndorFinding(r))
    expect(JSON.stringify(r)).toBe(before)
  })

  it('rejects a record without uuid or spec as invalid (counted by read as invalid_record)', () => {
    expect(EndorFinding.safeParse({ spec: {} }).success).toBe(false)
    expect(EndorFinding.safeParse({ uuid: 'x' }).success).toBe(false)
    expect(
      EndorFinding.safeParse({ uuid: 'x', spec: { next_field: 1, dismiss: null, location_urls: null } }).success,
    ).toBe(true)
  })
})

describe('endor map: ownership', () => {
  it("carries the finding's code_owners (owners and labels), the project's tags and the first manifest path", () => {
    const tagged = { ...PROJECT!, tags: ['payments', 'pci'] }
    const [m] = mapped(
      withSpec({
        code_owners: { owners: ['@acme/payments', ' jane@acme.example '], labels: ['pci', 'backend'] },
        dependency_file_paths: ['services/pay/pom.xml', 'services/pay/pom.lock'],
      }),
      tagged,
    )
    expect(m!.ownership).toEqual({
      label: 'Endor Labs',
      owners: ['@acme/payments', 'jane@acme.example'],
      tags: ['pci', 'backend', 'payments'],
    })
    expect(m!.manifestPath).toBe('services/pay/pom.xml')
    // the tags come with the project as read
    const info = projectInfo(EndorProject.parse({ uuid: 'p1', meta: { name: 'x', tags: ['payments'] } }))
    expect(info.tags).toEqual(['payments'])
  })

  it('says nothing about ownership when Endor has no owners, labels or tags, and no path without manifests', () => {
    const [m] = mapped(withSpec({ code_owners: { owners: [], labels: [] }, dependency_file_paths: [] }))
    expect(m!.ownership).toBeUndefined()
    expect(m!.manifestPath).toBeUndefined()
  })
})
