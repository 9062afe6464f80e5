import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { rngFor } from '../kit/random.ts'

/**
 * The JFrog simulator's data: repositories of items (files) in Artifactory's sort order (path, name), each with
 * properties and, for what Xray indexes, an artifact summary. Fixture repositories are small arrays seeded from
 * the real Xray captures; generated repositories compute item i on demand (rngFor), so 200,000 vulnerable
 * components across thousands of artifacts never sit in memory.
 */

export type XrayState = 'indexed' | 'not_indexed' | 'unsupported' | 'none'

export interface SimItem {
  repo: string
  /** folder path inside the repository, '.' for the root */
  path: string
  name: string
  size: number
  sha256: string
  sha1: string
  created: string
  modified: string
  properties: Record<string, string>
  /** how Xray sees this file: indexed (has a summary), not indexed yet, not supported, or not an Xray artifact (a blob) */
  xray: XrayState
  docker?: { image: string; tag: string; list?: boolean }
  /** when it was last downloaded (Docker: its manifest pulled), for AQL's `stat.downloaded` */
  downloaded?: string | undefined
  /** v2 summary artifact (issues with components[]); the v1 endpoint strips components */
  summary?: () => SummaryArtifact
}

export interface SummaryArtifact {
  general: { component_id: string; name: string; path: string; pkg_type: string; sha256: string }
  issues: any[]
  licenses: any[]
}

/** Published build info: `name/number` → the VCS URL it records (GET /artifactory/api/build/{name}/{number}). */
export const defaultBuilds = (): Record<string, string> => ({ 'lib/7': 'https://github.com/acme/lib.git' })

export interface SimRepo {
  key: string
  packageType: string
  description?: string
  count: number
  item(i: number): SimItem
  find(path: string, name: string): SimItem | undefined
}

const sha = (s: string, algo: 'sha256' | 'sha1' = 'sha256'): string => createHash(algo).update(s).digest('hex')
const fixture = (name: string): any => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))
const pad = (n: number, w = 6): string => String(n).padStart(w, '0')
const T0 = Date.parse('2025-01-06T10:00:00.000Z')
const iso = (ms: number): string => new Date(ms).toISOString()

const byPathName = (a: SimItem, b: SimItem): number =>
  a.path === b.path ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.path < b.path ? -1 : 1

export const staticRepo = (key: string, packageType: string, items: SimItem[], description?: string): SimRepo => {
  const sorted = [...items].sort(byPathName)
  const index = new Map(sorted.map((it) => [`${it.path}\u0000${it.name}`, it]))
  return {
    key,
    packageType,
    description,
    count: sorted.length,
    item: (i) => sorted[i]!,
    find: (p, n) => index.get(`${p}\u0000${n}`),
  }
}

const baseItem = (repo: string, path: string, name: string, extra: Partial<SimItem> = {}): SimItem => ({
  repo,
  path,
  name,
  size: 1000 + (sha(`${repo}/${path}/${name}`).charCodeAt(0) % 97) * 113,
  sha256: sha(`${repo}/${path}/${name}`),
  sha1: sha(`${repo}/${path}/${name}`, 'sha1'),
  created: iso(T0),
  modified: iso(T0 + 3_600_000),
  properties: {},
  xray: 'indexed',
  ...extra,
})

// ------------------------------------------------------------------ fixture-seeded summaries

/** Fixed versions the v2 endpoint adds to the real v1 capture (alpine 3.12 fixes of those CVEs). */
const ALPINE_FIXES: Record<string, string[]> = {
  openssl: ['[1.1.1l-r0]'],
  libcrypto1_1: ['[1.1.1l-r0]'],
  'libcrypto1.1': ['[1.1.1l-r0]'],
  'libssl1.1': ['[1.1.1l-r0]'],
  busybox: ['[1.31.1-r21]'],
  ssl_client: ['[1.31.1-r21]'],
}

/** Adds summary v2's components[] to a v1 issue of a fixture: typed through the artifact's licence list. */
const withComponents = (issue: any, licenses: any[]): any => {
  const typed = new Map<string, string>()
  for (const l of licenses) for (const c of l.components ?? []) typed.set(String(c).replace(/^[a-z]+:\/\//, ''), c)
  const comps: any[] = []
  for (const p of issue.impact_path ?? []) {
    const seg = String(p).replace(/\/+$/, '').split('/').pop()!
    const id = typed.get(seg)
    if (!id || comps.some((c) => c.component_id === id)) continue
    const name = seg.split(':')[1] ?? seg
    comps.push({ component_id: id, pkg_type: 'Alpine', fixed_versions: ALPINE_FIXES[name] ?? [] })
  }
  return comps.length ? { ...issue, components: comps } : issue
}

const rebase = (path: string, from: string, to: string): string =>
  path.startsWith(from) ? to + path.slice(from.length) : path

/** A fixture summary moved onto a repository path (`default/<repo>/<image>/<tag>/`), v2 components added. */
const fixtureSummary = (file: string, repo: string, image: string, tag: string): (() => SummaryArtifact) => {
  const data = fixture(file).artifacts[0]
  const from: string = data.general.path
  const to = `default/${repo}/${image}/${tag}/`
  const art: SummaryArtifact = {
    general: { ...data.general, path: to, name: `${image}:${tag}`, component_id: `${image}:${tag}` },
    issues: (data.issues ?? []).map((i: any) =>
      withComponents(
        { ...i, impact_path: (i.impact_path ?? []).map((p: string) => rebase(p, from, to)) },
        data.licenses ?? [],
      ),
    ),
    licenses: data.licenses ?? [],
  }
  return () => structuredClone(art)
}

const dockerTag = (
  repo: string,
  image: string,
  tag: string,
  summary: (() => SummaryArtifact) | undefined,
  opts: { source?: string; xray?: XrayState; list?: boolean; layers?: number } = {},
): SimItem[] => {
  const folder = `${image}/${tag}`
  const name = opts.list ? 'list.manifest.json' : 'manifest.json'
  const props: Record<string, string> = {
    'docker.repoName': image,
    'docker.manifest': tag,
    'docker.manifest.type': opts.list ? 'ManifestList' : 'ManifestV2',
  }
  if (opts.source) props['docker.label.org.opencontainers.image.source'] = opts.source
  const manifest = baseItem(repo, folder, name, {
    properties: props,
    xray: opts.xray ?? 'indexed',
    docker: { image, tag, list: opts.list },
    summary,
  })
  const layers = Array.from({ length: opts.layers ?? 2 }, (_, i) =>
    baseItem(repo, folder, `sha256__${sha(`${folder}#${i}`)}`, { xray: 'none' }),
  )
  return [manifest, ...layers]
}

// ------------------------------------------------------------------ hand-made v2 summaries (jfrog-client-go mock shapes)

const mavenSummary =
  (repo: string, path: string, name: string, sha256: string, issues: any[]): (() => SummaryArtifact) =>
  () => ({
    general: {
      component_id: `gav://org.acme:${name.replace(/-[\d.]+\.jar$/, '')}:1.0.0`,
      name,
      path: `default/${repo}/${path}/${name}`,
      pkg_type: 'Maven',
      sha256,
    },
    issues: structuredClone(issues),
    licenses: [
      {
        name: 'Apache-2.0',
        full_name: 'The Apache Software License, Version 2.0',
        components: ['gav://com.fasterxml.jackson.core:jackson-databind:2.9.10'],
        more_info_url: [],
      },
    ],
  })

const LIBS_ISSUES = (repo: string, path: string, name: string) => {
  const base = `default/${repo}/${path}/${name}`
  return [
    {
      issue_id: 'XRAY-97245',
      summary: 'jackson-databind polymorphic typing deserialization of untrusted data',
      description:
        'FasterXML jackson-databind 2.x before 2.9.10.4 mishandles the interaction between serialization gadgets and typing.',
      issue_type: 'security',
      severity: 'High',
      provider: 'JFrog',
      cves: [
        {
          cve: 'CVE-2020-11112',
          cwe: ['CWE-502'],
          cvss_v2: '6.8/CVSS:2.0/AV:N/AC:M/Au:N/C:P/I:P/A:P',
          cvss_v3: '8.1/CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H',
        },
        { cve: 'CVE-2020-11113', cwe: ['CWE-502'], cvss_v3: '8.1' },
      ],
      created: '2020-04-01T00:00:00.000Z',
      impact_path: [`${base}/com.fasterxml.jackson.core:jackson-databind:2.9.10`],
      components: [
        {
          component_id: 'gav://com.fasterxml.jackson.core:jackson-databind:2.9.10',
          fixed_versions: ['[2.9.10.4]', '[2.10.0,2.10.3)'],
        },
      ],
      component_physical_paths: [`${name}/BOOT-INF/lib/jackson-databind-2.9.10.jar`],
      extended_information: {
        short_description: 'Deserialization of untrusted data',
        jfrog_research_severity: 'Medium',
        jfrog_research_severity_reasons: [
          {
            name: 'The issue requires polymorphic typing to be enabled',
            description: 'Default typing is rarely enabled',
            is_positive: true,
          },
        ],
        remediation: 'Upgrade jackson-databind to 2.9.10.4 or later.',
      },
    },
    {
      issue_id: 'XRAY-189376',
      summary: 'ImportedSymbols in debug/macho … out-of-bounds slice situation.',
      description: 'Go debug/macho panic on crafted input.',
      issue_type: 'security',
      severity: 'Unknown',
      provider: 'JFrog',
      cves: [
        { cve: 'CVE-2021-41771', cvss_v2: '5.0/CVSS:2.0/AV:N/AC:L/Au:N/C:N/I:N/A:P', cvss_v3: 'not-a-score/garbage' },
      ],
      created: '2021-11-09T00:00:00.702Z',
      impact_path: [`${base}/github.com/golang/go`],
      components: [
        {
          component_id: 'github.com/golang/go',
          version: '1.15.8',
          pkg_type: 'Go',
          fixed_versions: ['[1.16.10]', '[1.17.3]'],
        },
      ],
      component_physical_paths: [`${name}/bin/tool`],
      applicability_details: [
        { component_id: 'github.com/golang/go', vulnerability_id: 'CVE-2021-41771', result: 'not_applicable' },
      ],
    },
    {
      issue_id: 'XRAY-LIC-1',
      summary: 'GPL-3.0 licence violation',
      issue_type: 'license',
      severity: 'Medium',
      provider: 'JFrog',
      cves: [],
    },
    {
      issue_id: 'XRAY-OPR-1',
      summary: 'Component is no longer maintained',
      issue_type: 'operational risk',
      severity: 'Low',
      provider: 'JFrog',
      cves: [],
    },
    {
      issue_id: 'XRAY-124116',
      summary: 'OpenSSL RC5_32_set_key stack buffer overflow',
      issue_type: 'security',
      severity: 'Critical',
      provider: 'JFrog',
      cves: [{ cvss_v3: '9.8/CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      impact_path: [`${base}/openssl:1.1.1k`],
    },
  ]
}

export const libsRepo = (key: string, opts: { appVcsUrl?: string } = {}): SimRepo => {
  const jar = (path: string, name: string, extra: Partial<SimItem> = {}) => {
    const it = baseItem(key, path, name, extra)
    if (it.xray === 'indexed') it.summary = mavenSummary(key, path, name, it.sha256, LIBS_ISSUES(key, path, name))
    return it
  }
  return staticRepo(
    key,
    'Maven',
    [
      jar('org/acme/app/1.0.0', 'app-1.0.0.jar', {
        properties: {
          'vcs.url': opts.appVcsUrl ?? 'https://github.com/acme/app.git',
          'vcs.revision': 'a1b2c3d',
          'build.name': 'app',
          'build.number': '42',
        },
      }),
      baseItem(key, 'org/acme/app/1.0.0', 'app-1.0.0.jar.md5', { xray: 'none' }),
      baseItem(key, 'org/acme/app/1.0.0', 'app-1.0.0.jar.sha1', { xray: 'none' }),
      baseItem(key, 'org/acme/app', 'maven-metadata.xml', { xray: 'none' }),
      jar('org/acme/lib/2.1.0', 'lib-2.1.0.jar', {
        properties: { 'build.name': 'lib', 'build.number': '7', 'build.timestamp': '1736157600000' },
      }),
      baseItem(key, 'org/acme/lib/2.1.0', 'lib-2.1.0.pom', {
        summary: () => ({
          general: {
            component_id: 'gav://org.acme:lib:2.1.0',
            name: 'lib-2.1.0.pom',
            path: `default/${key}/org/acme/lib/2.1.0/lib-2.1.0.pom`,
            pkg_type: 'Maven',
            sha256: sha('pom'),
          },
          issues: [],
          licenses: [],
        }),
      }),
      baseItem(key, 'docs', 'README.txt', { xray: 'unsupported' }),
    ],
    'Maven releases',
  )
}

export const dockerFixtureRepo = (
  key: string,
  opts: { openLibertySource?: string; busyboxSource?: string } = {},
): SimRepo =>
  staticRepo(
    key,
    'Docker',
    [
      ...dockerTag(
        key,
        'component/open-liberty',
        '21.0.0.3-1-full-alpine-java8-openj9',
        fixtureSummary(
          'summary_artifact_many_vulns.json',
          key,
          'component/open-liberty',
          '21.0.0.3-1-full-alpine-java8-openj9',
        ),
        { source: opts.openLibertySource ?? 'https://github.com/OpenLiberty/ci.docker', layers: 3 },
      ),
      ...dockerTag(key, 'artifact1', '1.0', fixtureSummary('summary_artifact_one_vuln.json', key, 'artifact1', '1.0')),
      ...dockerTag(key, 'artifact1', '1.1', fixtureSummary('summary_artifact_no_vuln.json', key, 'artifact1', '1.1')),
      ...dockerTag(
        key,
        'busybox-app',
        '2.0',
        fixtureSummary('summary_artifact_many_vulns_2.json', key, 'busybox-app', '2.0'),
        { source: opts.busyboxSource ?? 'git@github.com:acme/busybox-app.git', list: true },
      ),
      baseItem(key, `busybox-app/sha256:${sha('arm64')}`, 'manifest.json', { xray: 'none' }),
      ...dockerTag(
        key,
        'component/pending',
        '3.0',
        fixtureSummary('summary_artifact_many_vulns_2.json', key, 'component/pending', '3.0'),
        { xray: 'not_indexed' },
      ),
      baseItem(key, '.jfrog/repository.catalog', 'index.json', { xray: 'none' }),
    ],
    'Docker images',
  )

// ------------------------------------------------------------------ generated repositories

export interface JfrogRepoOptions {
  key: string
  packageType: 'Npm' | 'Docker'
  /** number of artifacts (npm tarballs or Docker tags) */
  artifacts: number
  /** vulnerable components (issues) per indexed artifact */
  vulnsPerArtifact?: number
  /** every Nth artifact is not indexed by Xray yet (0 = none) */
  notIndexedEvery?: number
  /** every Nth Docker tag carries an OCI source label, every Nth npm tarball a vcs.url (0 = none) */
  sourceEvery?: number
  /** the source URL of artifact group `name` (image or package folder) when it has one (default https://github.com/acme/<name>) */
  sourceUrl?: (name: string) => string
  seed?: number
  /** npm: versions of each package (artifact i is version i % n of package i / n; default 1) */
  versionsPerPackage?: number
  /** Docker: tags of each image (default 4) */
  tagsPerImage?: number
  /** artifacts (npm tarballs, Docker tags) downloaded or pulled 5 days ago; the rest never */
  downloadedRecently?: (i: number) => boolean
}

const NPM_POOL = [
  'lodash',
  'minimist',
  'axios',
  'express',
  'jsonwebtoken',
  'moment',
  'qs',
  'node-fetch',
  'ws',
  'semver',
  'tar',
  'glob-parent',
  'debug',
  'ms',
  'body-parser',
  'cookie',
  'path-to-regexp',
  'braces',
  'micromatch',
  'follow-redirects',
  'ansi-regex',
  'json5',
  'minimatch',
  'word-wrap',
  'tough-cookie',
  '@babel/traverse',
  '@xmldom/xmldom',
  'undici',
  'ip',
  'xml2js',
]
const APK_POOL = [
  'openssl',
  'libcrypto3',
  'libssl3',
  'busybox',
  'ssl_client',
  'zlib',
  'curl',
  'libcurl',
  'ncurses-libs',
  'expat',
  'musl',
  'sqlite-libs',
  'libxml2',
  'pcre2',
  'krb5-libs',
]
const SEVERITIES = ['Critical', 'High', 'High', 'Medium', 'Medium', 'Medium', 'Low', 'Unknown']
/** distinct (package, CVE) pairs the generator draws from: the same CVE recurs across artifacts, as in real tenants */
const PAIRS = 4000

const hashKey = (s: string): number => {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0
  return h
}

const generatedIssue = (seed: number, pair: number, docker: boolean, base: string) => {
  const r = rngFor(seed ^ 0x51ed, pair)
  const pool = docker ? APK_POOL : NPM_POOL
  const pkg = pool[pair % pool.length]!
  const major = r.int(0, 4)
  const minor = r.int(0, 20)
  const version = docker ? `${major + 1}.${minor}.${r.int(0, 9)}-r${r.int(0, 5)}` : `${major}.${minor}.${r.int(0, 9)}`
  const fixed = docker ? `${major + 1}.${minor}.${r.int(10, 12)}-r0` : `${major}.${minor + 1}.0`
  const year = 2018 + (pair % 8)
  const cve = `CVE-${year}-${pad(10000 + ((pair * 7919) % 89999), 5)}`
  const noCve = pair % 37 === 0
  const twoCves = pair % 11 === 0
  const severity = SEVERITIES[pair % SEVERITIES.length]!
  const score =
    severity === 'Critical'
      ? 9.8
      : severity === 'High'
        ? 7.5
        : severity === 'Medium'
          ? 5.3
          : severity === 'Low'
            ? 3.1
            : 0
  const cves = noCve
    ? [{ cvss_v3: `${score}/CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N` }]
    : [
        {
          cve,
          cwe: ['CWE-400'],
          cvss_v3: pair % 13 === 0 ? `${score}` : `${score}/CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N`,
        },
        ...(twoCves
          ? [
              {
                cve: `CVE-${year}-${pad(90000 + (pair % 9999), 5)}`,
                cvss_v3: `${score}/CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N`,
              },
            ]
          : []),
      ]
  const componentId = docker ? `alpine://3.18:${pkg}` : `npm://${pkg}`
  const comp = docker ? `3.18:${pkg}:${version}` : `${pkg}:${version}`
  return {
    issue_id: `XRAY-${200000 + pair}`,
    summary: `${pkg} ${version}: generated vulnerability ${pair}`,
    description: `A generated vulnerability in ${pkg} before ${fixed}.`,
    issue_type: 'security',
    severity,
    provider: 'JFrog',
    cves,
    created: iso(T0 - (pair % 1000) * 86_400_000),
    impact_path: [docker ? `${base}sha256__${sha(`layer${pair % 5}`)}.tar.gz/${comp}` : `${base}/${comp}`],
    components: [
      {
        component_id: componentId,
        version,
        pkg_type: docker ? 'Alpine' : 'Npm',
        fixed_versions: pair % 9 === 0 ? [] : [`[${fixed}]`],
      },
    ],
    component_physical_paths: [
      docker
        ? `sha256__${sha(`layer${pair % 5}`)}.tar.gz/lib/apk/db/installed`
        : `package/node_modules/${pkg}/package.json`,
    ],
  }
}

export const generatedRepo = (o: JfrogRepoOptions): SimRepo => {
  const seed = (o.seed ?? 1) ^ hashKey(o.key)
  const per = o.vulnsPerArtifact ?? 5
  const docker = o.packageType === 'Docker'
  const tagsPerImage = o.tagsPerImage ?? 4
  const perPackage = o.versionsPerPackage ?? 1
  const parts = (i: number) => {
    if (docker) {
      const image = `app-${pad(Math.floor(i / tagsPerImage))}`
      const tag = `1.${i % tagsPerImage}.0`
      return { path: `${image}/${tag}`, name: 'manifest.json', image, tag }
    }
    const n = `pkg-${pad(Math.floor(i / perPackage))}`
    const version = perPackage === 1 ? `1.${i % 7}.0` : `1.${i % perPackage}.0`
    return { path: `${n}/-`, name: `${n}-${version}.tgz`, image: '', tag: '' }
  }
  const item = (i: number): SimItem => {
    const { path, name, image, tag } = parts(i)
    const notIndexed = o.notIndexedEvery ? i % o.notIndexedEvery === o.notIndexedEvery - 1 : false
    const withSource = o.sourceEvery ? i % o.sourceEvery === 0 : false
    const props: Record<string, string> = {}
    if (docker) {
      props['docker.repoName'] = image
      props['docker.manifest'] = tag
      if (withSource)
        props['docker.label.org.opencontainers.image.source'] =
          o.sourceUrl?.(image) ?? `https://github.com/acme/${image}`
    } else if (withSource)
      props['vcs.url'] = o.sourceUrl?.(path.split('/')[0]!) ?? `https://github.com/acme/${path.split('/')[0]}.git`
    const it = baseItem(o.key, path, name, {
      properties: props,
      xray: notIndexed ? 'not_indexed' : 'indexed',
      docker: docker ? { image, tag } : undefined,
      created: iso(T0 + i * 60_000),
      modified: iso(T0 + i * 60_000),
      downloaded: o.downloadedRecently?.(i) ? iso(Date.now() - 5 * 86_400_000) : undefined,
    })
    if (!notIndexed)
      it.summary = () => {
        const r = rngFor(seed, i)
        const base = docker ? `default/${o.key}/${path}/` : `default/${o.key}/${path}/${name}`
        const pairs = new Set<number>()
        while (pairs.size < Math.min(per, PAIRS)) pairs.add(r.int(0, PAIRS - 1))
        return {
          general: {
            component_id: docker ? `${image}:${tag}` : `npm://${path.split('/')[0]}:1.${i % 7}.0`,
            name: docker ? `${image}:${tag}` : name,
            path: base,
            pkg_type: docker ? 'Docker' : 'Npm',
            sha256: it.sha256,
          },
          issues: [...pairs].map((p) => generatedIssue(seed, p, docker, base)),
          licenses: [],
        }
      }
    return it
  }
  const find = (path: string, name: string): SimItem | undefined => {
    const m = docker ? /^app-(\d{6})\/1\.(\d+)\.0$/.exec(path) : /^pkg-(\d{6})\/-$/.exec(path)
    if (!m) return undefined
    const v = docker ? 0 : perPackage === 1 ? 0 : Number(/-1\.(\d+)\.0\.tgz$/.exec(name)?.[1] ?? -1)
    if (v < 0) return undefined
    const i = docker ? Number(m[1]) * tagsPerImage + Number(m[2]) : Number(m[1]) * perPackage + v
    if (i >= o.artifacts) return undefined
    const it = item(i)
    return it.path === path && it.name === name ? it : undefined
  }
  return {
    key: o.key,
    packageType: o.packageType,
    description: `generated ${o.packageType} repository`,
    count: o.artifacts,
    item,
    find,
  }
}

export const defaultRepos = (opts: { npmArtifacts?: number; seed?: number } = {}): SimRepo[] => [
  dockerFixtureRepo('docker-local'),
  libsRepo('libs-release-local'),
  generatedRepo({
    key: 'npm-local',
    packageType: 'Npm',
    artifacts: opts.npmArtifacts ?? 40,
    vulnsPerArtifact: 4,
    notIndexedEvery: 0,
    sourceEvery: 5,
    seed: opts.seed,
  }),
  staticRepo(
    'secret-local',
    'Generic',
    [baseItem('secret-local', 'internal', 'secret-tool-1.0.tar.gz', { xray: 'not_indexed' })],
    'not granted to the reader token',
  ),
]
