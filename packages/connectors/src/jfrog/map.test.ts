import { readFileSync } from 'node:fs'
import { isSkip, type MappedFinding } from '@vulnsync/core'
import { describe, expect, it } from 'vitest'
import { parseThenMap } from '../kit/records.ts'
import {
  type ArtifactContext,
  mapJfrog,
  parseComponentId,
  parseFixedVersion,
  parseXrayCvss,
  splitArtifactSummary,
} from './map.ts'
import { type JfrogRaw, JfrogRawSchema } from './raw.ts'

/** Real Xray summary/artifact outputs (DefectDojo unit-test samples, kept once with the JFrog simulator: packages/simulators/src/jfrog/fixtures/SOURCES.md). */
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../simulators/src/jfrog/fixtures/${name}`, import.meta.url), 'utf8'))

const dockerCtx: ArtifactContext = {
  platformUrl: 'https://acme.jfrog.io',
  platformHost: 'acme.jfrog.io',
  repo: 'docker-local',
  packageType: 'Docker',
  path: 'component/open-liberty/21.0.0.3-1-full-alpine-java8-openj9',
  docker: { image: 'component/open-liberty', tag: '21.0.0.3-1-full-alpine-java8-openj9' },
  api: 'v1',
}

const mapAll = (raws: JfrogRaw[]) => {
  const findings: MappedFinding[] = []
  const skipped: Record<string, number> = {}
  for (const r of raws) {
    const out = mapJfrog(r)
    if (isSkip(out)) skipped[out.skip] = (skipped[out.skip] ?? 0) + 1
    else findings.push(...out)
  }
  return { findings, skipped }
}

const fromFixture = (name: string, ctx: ArtifactContext = dockerCtx) => {
  const { records, invalid } = splitArtifactSummary(fixture(name).artifacts[0], ctx)
  return { records, invalid, ...mapAll(records) }
}

describe('jfrog map: real Xray summary outputs', () => {
  it('imports nothing from an artifact with no issues (summary_artifact_no_vuln)', () => {
    const r = fromFixture('summary_artifact_no_vuln.json')
    expect(r.records).toHaveLength(0)
    expect(r.invalid).toBe(0)
    expect(r.findings).toHaveLength(0)
  })

  it('skips the one issue that has no CVE id as no_cve (summary_artifact_one_vuln, XRAY-124116)', () => {
    const r = fromFixture('summary_artifact_one_vuln.json')
    expect(r.records).toHaveLength(1)
    expect(mapJfrog(r.records[0]!)).toEqual({ skip: 'no_cve', detail: 'XRAY-124116' })
  })

  it('maps every CVE of the open-liberty image once per vulnerable component (summary_artifact_many_vulns)', () => {
    const r = fromFixture('summary_artifact_many_vulns.json')
    expect(r.records).toHaveLength(15)
    expect(r.skipped).toEqual({ no_cve: 2 })
    // 13 issues with a CVE; busybox+ssl_client and openssl+libcrypto+libssl issues fan out per component
    expect(r.findings).toHaveLength(27)
    expect(new Set(r.findings.map((f) => f.cve)).size).toBe(13)
    const keys = r.findings.map((f) => `${f.sourceKey}|${f.cve}`)
    expect(new Set(keys).size).toBe(keys.length)
    const f = r.findings.find((x) => x.cve === 'CVE-2021-3711' && x.package.name === 'alpine/openssl')!
    expect(f.package).toEqual({
      purl: 'pkg:apk/alpine/openssl@1.1.1k-r0?distro=alpine-3.12',
      name: 'alpine/openssl',
      ecosystem: 'apk',
      version: '1.1.1k-r0',
    })
    expect(f.severity).toBe('critical')
    expect(f.vendorSeverity).toBe('Critical')
    expect(f.cvss).toEqual({ score: 9.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', version: '3.1' })
    expect(f.target).toEqual({
      kind: 'image',
      name: 'acme.jfrog.io/docker-local/component/open-liberty',
      sourceRepoUrl: undefined,
      version: '21.0.0.3-1-full-alpine-java8-openj9',
    })
    expect(f.evidence.impactPaths).toEqual([
      'default/component/open-liberty/21.0.0.3-1-full-alpine-java8-openj9/sha256__cbc330c4d62cdcdac9408f3fc679b06fc8a22b08638c8f25720f3cd621f52fb6.tar.gz/3.12:openssl:1.1.1k-r0',
    ])
    expect(f.evidence.artifact).toMatchObject({
      repo: 'docker-local',
      sha256: 'eaab06c0a28618bfb65481bf31bce7d6dd3a15dac528297690111c202a1cd468',
      xrayPath: 'default/component/open-liberty/21.0.0.3-1-full-alpine-java8-openj9/',
    })
    expect(f.evidence.cwe).toEqual(['CWE-120'])
    // v1 gives no fixed versions: unknown, not "no fix"
    expect(f.fixedVersions).toEqual([])
    expect(f.signals.fixAvailable).toBeUndefined()
    // the summary has no scan time: detectedAt is left to the engine (first seen), and marked
    expect(f.detectedAt).toBeNull()
    expect(f.evidence.detectedAtSource).toBe('first_seen_by_vulnsync')
    expect(f.scope).toBe('docker-local')
  })

  it('fans one issue with two impacted packages out to two occurrences with distinct source keys (summary_artifact_many_vulns_2)', () => {
    const r = fromFixture('summary_artifact_many_vulns_2.json')
    expect(r.skipped).toEqual({ no_cve: 1 })
    expect(r.findings.map((f) => [f.cve, f.package.purl])).toEqual([
      ['CVE-2021-42385', 'pkg:apk/alpine/busybox@1.31.1-r20?distro=alpine-3.12'],
      ['CVE-2021-42385', 'pkg:apk/alpine/ssl_client@1.31.1-r20?distro=alpine-3.12'],
    ])
    expect(r.findings[0]!.sourceKey).not.toBe(r.findings[1]!.sourceKey)
    expect(r.findings[0]!.sourceKey).toMatch(
      /^docker-local\/component\/open-liberty\/21\.0\.0\.3-1-full-alpine-java8-openj9#summary-[0-9a-f]{8}#pkg:apk\/alpine\/busybox$/,
    )
  })

  it('tolerates a malformed CVSS string: a bare score is kept, garbage is ignored, never fatal', () => {
    const base = fixture('summary_artifact_many_vulns_2.json').artifacts[0]
    const bare = structuredClone(base)
    bare.issues[0].cves[0].cvss_v3 = '5.9' // DefectDojo malformed_cvssv3.json form
    const a = mapAll(splitArtifactSummary(bare, dockerCtx).records).findings[0]!
    expect(a.cvss).toEqual({ score: 5.9, vector: undefined, version: '3' })
    const garbage = structuredClone(base)
    garbage.issues[0].cves[0].cvss_v3 = 'n/a/CVSS:3.1'
    garbage.issues[0].cves[0].cvss_v2 = '12.5/AV:N'
    const g = mapAll(splitArtifactSummary(garbage, dockerCtx).records).findings[0]!
    expect(g.cvss).toBeUndefined()
    expect(g.severity).toBe('high')
  })

  it('is pure: the same record maps to the same findings every time', () => {
    const { records } = splitArtifactSummary(fixture('summary_artifact_many_vulns.json').artifacts[0], dockerCtx)
    expect(records.map((r) => mapJfrog(r))).toEqual(records.map((r) => mapJfrog(structuredClone(r))))
  })
})

const v2Artifact = (issues: unknown[]) => ({
  general: {
    component_id: 'gav://org.acme:app:1.0.0',
    name: 'app-1.0.0.jar',
    path: 'default/libs-local/org/acme/app/1.0.0/app-1.0.0.jar',
    pkg_type: 'Maven',
    sha256: 'abc',
  },
  issues,
})
const libsCtx: ArtifactContext = {
  platformUrl: 'https://acme.jfrog.io',
  platformHost: 'acme.jfrog.io',
  repo: 'libs-local',
  packageType: 'Maven',
  path: 'org/acme/app/1.0.0/app-1.0.0.jar',
  sha256: 'abc',
  source: { url: 'https://github.com/acme/app.git', from: 'property vcs.url' },
  api: 'v2',
}

describe('jfrog map: summary v2 issues', () => {
  it('reads component, version and fixed versions from components[] and targets the artifact with its source repository', () => {
    const { records } = splitArtifactSummary(
      v2Artifact([
        {
          issue_id: 'XRAY-189376',
          issue_type: 'security',
          severity: 'High',
          cves: [
            { cve: 'CVE-2021-41771', cvss_v3: '7.5/CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', cwe: ['CWE-119'] },
          ],
          impact_path: ['default/libs-local/org/acme/app/1.0.0/app-1.0.0.jar/bin/github.com/golang/go'],
          components: [
            {
              component_id: 'github.com/golang/go',
              version: '1.15.8',
              pkg_type: 'Go',
              fixed_versions: ['[1.16.10]', '[1.17.3]'],
            },
          ],
          component_physical_paths: ['app-1.0.0.jar/bin/tool'],
          applicability_details: [{ vulnerability_id: 'CVE-2021-41771', result: 'applicable' }],
        },
      ]),
      libsCtx,
    )
    const [f] = mapAll(records).findings
    expect(f!.sourceKey).toBe('libs-local/org/acme/app/1.0.0/app-1.0.0.jar#XRAY-189376')
    expect(f!.aliases).toEqual(['XRAY-189376'])
    expect(f!.package).toEqual({
      purl: 'pkg:golang/github.com/golang/go@1.15.8',
      name: 'github.com/golang/go',
      ecosystem: 'golang',
      version: '1.15.8',
    })
    expect(f!.fixedVersions).toEqual(['1.16.10', '1.17.3'])
    expect(f!.signals).toEqual({ fixAvailable: true, reachability: { applicable: true } })
    expect(f!.target).toEqual({
      kind: 'artifact',
      // the artifact without its version (issue key); the version is where it was found
      name: 'libs-local/org/acme/app',
      version: '1.0.0',
      sourceRepoUrl: 'https://github.com/acme/app.git',
    })
    expect(f!.evidence).toMatchObject({
      componentPhysicalPaths: ['app-1.0.0.jar/bin/tool'],
      applicability: [{ vulnerability_id: 'CVE-2021-41771', result: 'applicable' }],
      source: { from: 'property vcs.url' },
    })
    expect(f!.link).toBe('https://acme.jfrog.io/ui/repos/tree/General/libs-local/org/acme/app/1.0.0/app-1.0.0.jar')
  })

  it('skips licence and operational-risk issues as not_vulnerability and maps Unknown severity to info', () => {
    const { records } = splitArtifactSummary(
      v2Artifact([
        { issue_id: 'XRAY-L', issue_type: 'license', severity: 'High', cves: [] },
        { issue_id: 'XRAY-O', issue_type: 'operational risk', severity: 'Low' },
        {
          issue_id: 'XRAY-U',
          issue_type: 'security',
          severity: 'Unknown',
          cves: [{ cve: 'CVE-2024-0001' }],
          components: [{ component_id: 'npm://lodash:4.17.15', fixed_versions: [] }],
        },
      ]),
      libsCtx,
    )
    const r = mapAll(records)
    expect(r.skipped).toEqual({ not_vulnerability: 2 })
    expect(r.findings).toHaveLength(1)
    expect(r.findings[0]!.severity).toBe('info')
    expect(r.findings[0]!.vendorSeverity).toBe('Unknown')
    expect(r.findings[0]!.signals.fixAvailable).toBe(false)
  })

  it('counts an issue whose entry is not an object as invalid_record, and keeps the rest', () => {
    const r = splitArtifactSummary(
      v2Artifact(['oops', { issue_id: 'XRAY-1', issue_type: 'security', cves: [{ cve: 'CVE-2024-1' }] }]),
      libsCtx,
    )
    expect(r.invalid).toBe(1)
    expect(r.records).toHaveLength(1)
    // a record is validated once, before map (read does it in splitArtifactSummary)
    const validThenMap = parseThenMap(JfrogRawSchema, 'an Xray issue', mapJfrog)
    expect(validThenMap({ ...r.records[0]!, repo: undefined as any })).toMatchObject({ skip: 'invalid_record' })
  })

  it('uses the research-severity reasons Xray gives as vendor factors', () => {
    const { records } = splitArtifactSummary(
      v2Artifact([
        {
          issue_id: 'XRAY-2',
          issue_type: 'security',
          severity: 'Critical',
          cves: [{ cve: 'CVE-2020-11112' }],
          components: [
            {
              component_id: 'gav://com.fasterxml.jackson.core:jackson-databind:2.9.10',
              fixed_versions: ['[2.9.10.4]'],
            },
          ],
          extended_information: {
            jfrog_research_severity: 'Medium',
            jfrog_research_severity_reasons: [
              { name: 'Requires default typing', description: 'rarely enabled', is_positive: true },
            ],
          },
        },
      ]),
      libsCtx,
    )
    expect(mapAll(records).findings[0]!.vendorFactors).toEqual([
      { name: 'jfrog_research_severity', text: 'JFrog Security research severity: Medium', effect: 'none' },
      { name: 'Requires default typing', text: 'rarely enabled', effect: 'lower' },
    ])
  })
})

describe('jfrog map: parsers', () => {
  it.each([
    ['npm://lodash:4.17.15', 'pkg:npm/lodash@4.17.15'],
    ['npm://@babel/traverse:7.22.1', 'pkg:npm/%40babel/traverse@7.22.1'],
    [
      'gav://com.fasterxml.jackson.core:jackson-databind:2.9.10',
      'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10',
    ],
    ['pypi://Jinja2:2.11.2', 'pkg:pypi/jinja2@2.11.2'],
    ['go://github.com/golang/net:v0.0.1', 'pkg:golang/github.com/golang/net@v0.0.1'],
    ['alpine://3.12:busybox:1.31.1-r20', 'pkg:apk/alpine/busybox@1.31.1-r20?distro=alpine-3.12'],
    [
      'deb://debian:buster:libssl1.1:1.1.1d-0+deb10u6',
      'pkg:deb/debian/libssl1.1@1.1.1d-0+deb10u6?distro=debian-buster',
    ],
    [
      'rpm://7:java-11-openjdk-headless:0:11.0.6.10-1.el7_7',
      'pkg:rpm/java-11-openjdk-headless@11.0.6.10-1.el7_7?distro=7&epoch=0',
    ],
    ['docker://acme/api:1.2.3', 'pkg:docker/acme/api@1.2.3'],
    ['nuget://Newtonsoft.Json:12.0.1', 'pkg:nuget/newtonsoft.json@12.0.1'],
    ['generic://sha256:92f27340/com.ibm.ws.jca_1.0.50.jar', 'pkg:generic/com.ibm.ws.jca_1.0.50.jar'],
  ])('parses the component id %s', (id, purl) => {
    expect(parseComponentId(id)?.purl).toBe(purl)
  })

  it('takes version and type from summary v2 fields when the id carries neither', () => {
    expect(parseComponentId('npm://lodash', { version: '4.17.15' })?.purl).toBe('pkg:npm/lodash@4.17.15')
    expect(parseComponentId('alpine://3.18:zlib', { version: '1.2.13-r0' })?.purl).toBe(
      'pkg:apk/alpine/zlib@1.2.13-r0?distro=alpine-3.18',
    )
    expect(parseComponentId('github.com/golang/go', { version: '1.15.8', pkgType: 'Go' })?.purl).toBe(
      'pkg:golang/github.com/golang/go@1.15.8',
    )
    expect(parseComponentId('build://my-build:12')).toBeNull()
  })

  it.each([
    ['[1.16.10]', '1.16.10'],
    ['(,1.2.3)', '< 1.2.3'],
    ['[2.0,2.1)', '>= 2.0, < 2.1'],
    ['[1.2.3,)', '>= 1.2.3'],
    ['≥ 1:11.0.5.10-0.el7_7', '>= 1:11.0.5.10-0.el7_7'],
    ['2.4.1', '2.4.1'],
  ])('reads the fixed version %s as %s', (input, out) => {
    expect(parseFixedVersion(input)).toBe(out)
  })

  it.each([
    [
      '9.8/CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'v3',
      { score: 9.8, vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', version: '3.0' },
    ],
    ['9.3/AV:N/AC:M/Au:N/C:C/I:C/A:C', 'v2', { score: 9.3, vector: 'AV:N/AC:M/Au:N/C:C/I:C/A:C', version: '2.0' }],
    ['5.9', 'v3', { score: 5.9, vector: undefined, version: '3' }],
    ['7.5/not a vector', 'v3', { score: 7.5, vector: undefined, version: '3' }],
    ['high', 'v3', undefined],
    ['', 'v3', undefined],
  ] as const)('parses the CVSS string %j', (input, family, out) => {
    expect(parseXrayCvss(input, family)).toEqual(out)
  })
})
