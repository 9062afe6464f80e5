import { versionScheme } from '@vulnsync/core'

/**
 * A small package world shared by the registry simulators (npm, PyPI, Maven), the repositories the GitHub and GitLab
 * simulators serve as files, and the scanner reports derived from those files (scan.ts): real package names and real
 * CVEs with their published fixed versions, so a fix pull request can be planned, opened, merged and verified
 * offline. Package contents are generated (a package.json per npm version); nothing here is downloaded.
 */
export type CatalogEcosystem = 'npm' | 'pypi' | 'maven'

export interface CatalogVersion {
  version: string
  /** npm: dependencies of this version */
  dependencies?: Record<string, string>
  deprecated?: string
  yanked?: boolean
}

export interface CatalogPackage {
  ecosystem: CatalogEcosystem
  /** npm name, PyPI name, or Maven `group:artifact` */
  name: string
  versions: CatalogVersion[]
}

export interface CatalogAdvisory {
  cve: string
  ecosystem: CatalogEcosystem
  name: string
  severity: 'Critical' | 'High' | 'Medium' | 'Low'
  /** affected from `introduced` (default: every version) below `fixed` */
  ranges: { introduced?: string; fixed: string }[]
  title: string
}

const v = (version: string, extra: Omit<CatalogVersion, 'version'> = {}): CatalogVersion => ({ version, ...extra })
const plain = (...vs: string[]) => vs.map((x) => v(x))

export const CATALOG: CatalogPackage[] = [
  // ------------------------------------------------------------------ npm
  {
    ecosystem: 'npm',
    name: 'lodash',
    versions: [
      ...plain('4.17.15', '4.17.19', '4.17.20'),
      v('4.17.16', { deprecated: 'This version has a broken build, use 4.17.19 or later' }),
      ...plain('4.17.21', '5.0.0-beta.1'),
    ],
  },
  { ecosystem: 'npm', name: 'minimist', versions: plain('0.0.8', '1.2.0', '1.2.5', '1.2.6', '1.2.8') },
  {
    ecosystem: 'npm',
    name: 'mkdirp',
    versions: [
      v('0.5.1', { dependencies: { minimist: '0.0.8' } }),
      v('0.5.5', { dependencies: { minimist: '^1.2.5' } }),
      v('0.5.6', { dependencies: { minimist: '^1.2.6' } }),
      v('1.0.4'),
    ],
  },
  { ecosystem: 'npm', name: 'follow-redirects', versions: plain('1.13.0', '1.14.8', '1.15.4', '1.15.6') },
  {
    ecosystem: 'npm',
    name: 'axios',
    versions: [
      v('0.21.0', { dependencies: { 'follow-redirects': '^1.10.0' } }),
      v('0.21.1', { dependencies: { 'follow-redirects': '^1.10.0' } }),
      v('0.21.4', { dependencies: { 'follow-redirects': '^1.14.0' } }),
      v('1.6.0', { dependencies: { 'follow-redirects': '^1.15.0' } }),
      v('1.6.1-rc.0', { dependencies: { 'follow-redirects': '^1.15.0' } }),
    ],
  },
  { ecosystem: 'npm', name: 'json5', versions: plain('1.0.1', '1.0.2', '2.2.1', '2.2.3') },
  // ------------------------------------------------------------------ PyPI
  {
    ecosystem: 'pypi',
    name: 'requests',
    versions: [
      ...plain('2.25.1', '2.28.2', '2.31.0'),
      v('2.32.0', { yanked: true }),
      v('2.32.1', { yanked: true }),
      ...plain('2.32.2', '2.32.3', '2.33.0rc1'),
    ],
  },
  { ecosystem: 'pypi', name: 'jinja2', versions: plain('3.1.2', '3.1.3', '3.1.4', '3.1.5') },
  { ecosystem: 'pypi', name: 'pyyaml', versions: plain('5.3.1', '5.4', '5.4.1', '6.0.1') },
  // ------------------------------------------------------------------ Maven
  {
    ecosystem: 'maven',
    name: 'org.apache.logging.log4j:log4j-core',
    versions: plain('2.14.1', '2.15.0', '2.16.0', '2.17.0', '2.17.1', '2.18.0', '3.0.0-beta1'),
  },
  {
    ecosystem: 'maven',
    name: 'com.fasterxml.jackson.core:jackson-databind',
    versions: plain('2.9.10', '2.9.10.1', '2.9.10.4', '2.9.10.8', '2.10.0', '2.12.7.1'),
  },
  {
    ecosystem: 'maven',
    name: 'org.yaml:snakeyaml',
    versions: plain('1.26', '1.33', '2.0'),
  },
]

export const ADVISORIES: CatalogAdvisory[] = [
  {
    cve: 'CVE-2020-8203',
    ecosystem: 'npm',
    name: 'lodash',
    severity: 'High',
    ranges: [{ fixed: '4.17.19' }],
    title: 'Prototype pollution in zipObjectDeep',
  },
  {
    cve: 'CVE-2021-23337',
    ecosystem: 'npm',
    name: 'lodash',
    severity: 'High',
    ranges: [{ fixed: '4.17.21' }],
    title: 'Command injection in template',
  },
  {
    cve: 'CVE-2021-44906',
    ecosystem: 'npm',
    name: 'minimist',
    severity: 'Critical',
    ranges: [{ fixed: '0.2.4' }, { introduced: '1.0.0', fixed: '1.2.6' }],
    title: 'Prototype pollution',
  },
  {
    cve: 'CVE-2023-45857',
    ecosystem: 'npm',
    name: 'axios',
    severity: 'Medium',
    ranges: [{ introduced: '0.8.1', fixed: '1.6.0' }],
    title: 'Cross-site request forgery: XSRF-TOKEN revealed to third parties',
  },
  {
    cve: 'CVE-2021-3749',
    ecosystem: 'npm',
    name: 'axios',
    severity: 'High',
    ranges: [{ fixed: '0.21.2' }],
    title: 'Inefficient regular expression complexity',
  },
  {
    cve: 'CVE-2024-28849',
    ecosystem: 'npm',
    name: 'follow-redirects',
    severity: 'Medium',
    ranges: [{ fixed: '1.15.6' }],
    title: 'Proxy-Authorization header kept across hosts',
  },
  {
    cve: 'CVE-2022-46175',
    ecosystem: 'npm',
    name: 'json5',
    severity: 'High',
    ranges: [{ fixed: '1.0.2' }, { introduced: '2.0.0', fixed: '2.2.2' }],
    title: 'Prototype pollution in JSON5 via parse',
  },
  {
    cve: 'CVE-2023-32681',
    ecosystem: 'pypi',
    name: 'requests',
    severity: 'Medium',
    ranges: [{ introduced: '2.3.0', fixed: '2.31.0' }],
    title: 'Proxy-Authorization header leaked on redirect',
  },
  {
    cve: 'CVE-2024-35195',
    ecosystem: 'pypi',
    name: 'requests',
    severity: 'Medium',
    ranges: [{ fixed: '2.32.0' }],
    title: 'Session verify=False persists across requests',
  },
  {
    cve: 'CVE-2024-22195',
    ecosystem: 'pypi',
    name: 'jinja2',
    severity: 'Medium',
    ranges: [{ fixed: '3.1.3' }],
    title: 'HTML attribute injection in xmlattr',
  },
  {
    cve: 'CVE-2024-34064',
    ecosystem: 'pypi',
    name: 'jinja2',
    severity: 'Medium',
    ranges: [{ fixed: '3.1.4' }],
    title: 'HTML attribute injection with non-attribute characters',
  },
  {
    cve: 'CVE-2021-44228',
    ecosystem: 'maven',
    name: 'org.apache.logging.log4j:log4j-core',
    severity: 'Critical',
    ranges: [{ introduced: '2.0-beta9', fixed: '2.15.0' }],
    title: 'Log4Shell: remote code execution through JNDI lookups',
  },
  {
    cve: 'CVE-2021-45046',
    ecosystem: 'maven',
    name: 'org.apache.logging.log4j:log4j-core',
    severity: 'Critical',
    ranges: [{ introduced: '2.0-beta9', fixed: '2.16.0' }],
    title: 'Incomplete fix of CVE-2021-44228 in some non-default configurations',
  },
  {
    cve: 'CVE-2021-45105',
    ecosystem: 'maven',
    name: 'org.apache.logging.log4j:log4j-core',
    severity: 'High',
    ranges: [{ introduced: '2.0-beta9', fixed: '2.17.0' }],
    title: 'Uncontrolled recursion in lookup evaluation',
  },
  {
    cve: 'CVE-2021-44832',
    ecosystem: 'maven',
    name: 'org.apache.logging.log4j:log4j-core',
    severity: 'Medium',
    ranges: [{ introduced: '2.0-beta7', fixed: '2.17.1' }],
    title: 'Remote code execution through a JDBC appender configuration',
  },
  {
    cve: 'CVE-2020-10672',
    ecosystem: 'maven',
    name: 'com.fasterxml.jackson.core:jackson-databind',
    severity: 'High',
    ranges: [{ fixed: '2.9.10.4' }],
    title: 'Deserialization gadget in aries.transaction.jms',
  },
  {
    cve: 'CVE-2022-1471',
    ecosystem: 'maven',
    name: 'org.yaml:snakeyaml',
    severity: 'High',
    ranges: [{ fixed: '2.0' }],
    title: 'Constructor deserialization remote code execution',
  },
]

export const catalogPackage = (ecosystem: CatalogEcosystem, name: string): CatalogPackage | undefined =>
  CATALOG.find((p) => p.ecosystem === ecosystem && p.name.toLowerCase() === name.toLowerCase())

/** The advisories of the catalog that affect this version of a package. */
export const advisoriesFor = (ecosystem: CatalogEcosystem, name: string, version: string): CatalogAdvisory[] => {
  const s = versionScheme(ecosystem)!
  return ADVISORIES.filter(
    (a) =>
      a.ecosystem === ecosystem &&
      a.name.toLowerCase() === name.toLowerCase() &&
      a.ranges.some((r) => (!r.introduced || s.compare(version, r.introduced) >= 0) && s.compare(version, r.fixed) < 0),
  )
}
