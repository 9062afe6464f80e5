import { describe, expect, it } from 'vitest'
import type { AdvisoryEvidence } from './advisory.ts'
import { type AvailableVersion, chooseFixVersion } from './choose.ts'
import { type FixOccurrence, groupForPlans, planPackageFix } from './plan.ts'

const adv = (cve: string, fixed: string[], ranges?: AdvisoryEvidence['affectedRanges']): AdvisoryEvidence => ({
  cve,
  source: 'OX Security',
  fixedVersions: fixed,
  affectedRanges: ranges,
})
const released = (...vs: string[]): AvailableVersion[] => vs.map((version) => ({ version }))

interface Row {
  name: string
  ecosystem: 'npm' | 'pypi' | 'maven'
  installed: string
  advisories: AdvisoryEvidence[]
  available: AvailableVersion[] | null
  fix: string | null
  majorBump?: boolean
  remaining?: string[]
}

/** The version choice, per ecosystem, for the cases the users of other tools complain about (peers-remediation §3.4). */
const ROWS: Row[] = [
  // ------------------------------------------------------------------ npm
  {
    name: 'npm: the lowest fixed version of one CVE is still affected by another (not the lowest of the fixes)',
    ecosystem: 'npm',
    installed: '4.17.15',
    advisories: [adv('CVE-2020-8203', ['4.17.19']), adv('CVE-2021-23337', ['4.17.21'])],
    available: released('4.17.15', '4.17.16', '4.17.19', '4.17.20', '4.17.21', '4.18.0'),
    fix: '4.17.21',
  },
  {
    name: 'npm: a fix hit by an advisory introduced at that very version is passed over',
    ecosystem: 'npm',
    installed: '1.2.0',
    advisories: [
      adv('CVE-2024-0001', ['1.2.3']),
      // reported on another target (it does not affect 1.2.0): the chosen version must be free of it anyway
      { ...adv('CVE-2024-0002', [], [{ introduced: '1.2.3', fixed: '1.2.5' }]), reported: false },
    ],
    available: released('1.2.1', '1.2.3', '1.2.4', '1.2.5', '1.3.0'),
    fix: '1.2.5',
  },
  {
    name: 'npm: a fix only in the next major is flagged',
    ecosystem: 'npm',
    installed: '2.3.1',
    advisories: [adv('CVE-2024-1000', ['3.0.0'])],
    available: released('2.3.2', '2.4.0', '3.0.0-rc.1', '3.0.0', '3.1.0'),
    fix: '3.0.0',
    majorBump: true,
  },
  {
    name: 'npm: pre-releases are never chosen, even the first that fixes',
    ecosystem: 'npm',
    installed: '1.0.0',
    advisories: [adv('CVE-2024-1001', ['1.1.0-beta.2'])],
    available: released('1.1.0-beta.1', '1.1.0-beta.2', '1.1.0'),
    fix: '1.1.0',
  },
  {
    name: 'npm: fixed only in a pre-release: nothing is proposed and the plan says why',
    ecosystem: 'npm',
    installed: '1.0.0',
    advisories: [adv('CVE-2024-1002', ['2.0.0-alpha.1'])],
    available: released('1.0.1', '2.0.0-alpha.1'),
    fix: null,
    remaining: ['CVE-2024-1002'],
  },
  {
    name: 'npm: the installed 0.8 line wins over a fix two lines up (0.x minors are breaking)',
    ecosystem: 'npm',
    installed: '0.8.2',
    advisories: [adv('CVE-2023-2000', ['0.8.6', '0.9.3'])],
    available: released('0.8.3', '0.8.6', '0.9.0', '0.9.3'),
    fix: '0.8.6',
    majorBump: false,
  },
  {
    name: 'npm: deprecated versions are skipped (the next release is taken)',
    ecosystem: 'npm',
    installed: '1.0.0',
    advisories: [adv('CVE-2024-1003', ['1.0.2'])],
    available: [{ version: '1.0.2', deprecated: 'broken release, use 1.0.3' }, { version: '1.0.3' }],
    fix: '1.0.3',
  },
  {
    name: 'npm: no version fixes everything: the one that fixes the most, and what remains',
    ecosystem: 'npm',
    installed: '1.0.0',
    advisories: [adv('CVE-2024-1004', ['1.0.5']), adv('CVE-2024-1005', [])],
    available: released('1.0.5', '1.1.0'),
    fix: '1.0.5',
    remaining: ['CVE-2024-1005'],
  },
  {
    name: 'npm: without registry access the scanners fixed versions are the candidates',
    ecosystem: 'npm',
    installed: '4.17.15',
    advisories: [adv('CVE-2020-8203', ['4.17.19']), adv('CVE-2021-23337', ['4.17.21'])],
    available: null,
    fix: '4.17.21',
  },
  {
    name: 'npm: a version between two fixed lines is not assumed fixed (1.2.5 fixes 1.2, 1.3.2 fixes 1.3)',
    ecosystem: 'npm',
    installed: '1.3.0',
    advisories: [adv('CVE-2024-1006', ['1.2.5', '1.3.2'])],
    available: released('1.3.1', '1.3.2', '1.4.0'),
    fix: '1.3.2',
  },
  // ------------------------------------------------------------------ PyPI
  {
    name: 'PyPI: PEP 440 ordering (1.10 above 1.9), and the lowest fix of one CVE still affected by another',
    ecosystem: 'pypi',
    installed: '1.9',
    advisories: [adv('CVE-2023-3000', ['1.9.1']), adv('CVE-2023-3001', ['1.10'])],
    available: released('1.9.1', '1.10rc1', '1.10', '1.11'),
    fix: '1.10',
  },
  {
    name: 'PyPI: release candidates and dev releases are never chosen; a yanked release neither',
    ecosystem: 'pypi',
    installed: '2.31.0',
    advisories: [adv('CVE-2024-35195', ['2.32.0'])],
    available: [
      { version: '2.32.0rc1' },
      { version: '2.32.0.dev3' },
      { version: '2.32.0', yanked: true },
      { version: '2.32.1' },
    ],
    fix: '2.32.1',
  },
  {
    name: 'PyPI: a fix only in the next major is flagged',
    ecosystem: 'pypi',
    installed: '1.4.3',
    advisories: [adv('CVE-2024-3002', ['2.0.1'])],
    available: released('1.4.4', '2.0.0', '2.0.1'),
    fix: '2.0.1',
    majorBump: true,
  },
  // ------------------------------------------------------------------ Maven
  {
    name: 'Maven: four-part versions (2.9.10.4 is below 2.10.0), the installed line kept',
    ecosystem: 'maven',
    installed: '2.9.10',
    advisories: [adv('CVE-2020-10672', ['2.9.10.4']), adv('CVE-2020-10673', ['2.9.10.4', '2.10.0'])],
    available: released('2.9.10.1', '2.9.10.4', '2.9.10.5', '2.10.0', '2.10.1'),
    fix: '2.9.10.4',
  },
  {
    name: 'Maven: milestones and release candidates are never chosen',
    ecosystem: 'maven',
    installed: '5.3.18',
    advisories: [adv('CVE-2022-22965', ['5.3.20'])],
    available: released('5.3.19', '5.3.20-RC1', '5.3.20', '6.0.0-M1', '6.0.0'),
    fix: '5.3.20',
  },
  {
    name: 'Maven: only the next major fixes it',
    ecosystem: 'maven',
    installed: '1.2.17',
    advisories: [adv('CVE-2019-17571', ['2.0'])],
    available: released('1.2.17', '2.0-beta9', '2.0', '2.17.1'),
    fix: '2.0',
    majorBump: true,
  },
]

describe('the version a plan moves to', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, r) => {
    const c = chooseFixVersion({
      ecosystem: r.ecosystem,
      installedVersion: r.installed,
      advisories: r.advisories,
      available: r.available,
    })
    expect(c.fixVersion).toBe(r.fix)
    expect(c.majorBump).toBe(r.majorBump ?? false)
    expect(c.remaining.map((x) => x.cve)).toEqual(r.remaining ?? [])
    expect(c.versionSource).toBe(r.available ? 'registry' : 'scanners')
    if (r.fix) expect(c.explanation).toContain(`${r.installed} → ${r.fix}`)
    for (const x of c.remaining) expect(x.reason.length).toBeGreaterThan(10)
  })

  it('says when it had no registry and derived the affected versions from fixed versions only', () => {
    const c = chooseFixVersion({
      ecosystem: 'npm',
      installedVersion: '4.17.15',
      advisories: [adv('CVE-2021-23337', ['4.17.21'])],
      available: null,
      registryNote: 'the npm registry was unreachable',
    })
    expect(c.explanation).toContain('Without registry access (the npm registry was unreachable)')
    expect(c.explanation).toContain('No affected ranges were given for CVE-2021-23337')
  })

  it('keeps the explanation readable: five CVEs of a long list, then how many more, this target’s first', () => {
    const elsewhere = Array.from({ length: 12 }, (_, k) => ({
      ...adv(`CVE-2019-${1000 + k}`, ['4.17.21']),
      reported: false,
    }))
    const c = chooseFixVersion({
      ecosystem: 'npm',
      installedVersion: '4.17.15',
      advisories: [adv('CVE-2021-23337', ['4.17.21']), ...elsewhere],
      available: released('4.17.15', '4.17.21'),
    })
    expect(c.fixVersion).toBe('4.17.21')
    expect(c.explanation).toContain(
      'It is also free of CVE-2019-1000, CVE-2019-1001, CVE-2019-1002, CVE-2019-1003, CVE-2019-1004 and 7 more, known on other targets.',
    )
    expect(c.explanation).toContain('No affected ranges were given for CVE-2021-23337, CVE-2019-1000, ')
    expect(c.explanation).toContain('and 8 more:')
  })

  it('names the reason a pre-release fix is not taken', () => {
    const c = chooseFixVersion({
      ecosystem: 'npm',
      installedVersion: '1.0.0',
      advisories: [adv('CVE-2024-1002', ['2.0.0-alpha.1'])],
      available: released('1.0.1', '2.0.0-alpha.1'),
    })
    expect(c.remaining[0]!.reason).toBe(
      'its fix 2.0.0-alpha.1 is a pre-release, and no later released version is free of it',
    )
  })

  it('trusts every source: a version is free of a CVE only when each source says so', () => {
    const c = chooseFixVersion({
      ecosystem: 'npm',
      installedVersion: '1.0.0',
      advisories: [adv('CVE-2024-2000', ['1.0.1']), { ...adv('CVE-2024-2000', ['1.0.3']), source: 'Endor Labs' }],
      available: released('1.0.1', '1.0.2', '1.0.3'),
    })
    expect(c.fixVersion).toBe('1.0.3')
  })

  it('cannot plan what it cannot order, nor above an unknown version', () => {
    expect(
      chooseFixVersion({
        ecosystem: 'golang',
        installedVersion: 'v1.0.0',
        advisories: [adv('CVE-1', ['v1.0.1'])],
        available: null,
      }).remaining[0]!.reason,
    ).toMatch(/cannot order golang/)
    expect(
      chooseFixVersion({
        ecosystem: 'npm',
        installedVersion: null,
        advisories: [adv('CVE-1', ['1.0.1'])],
        available: null,
      }).remaining[0]!.reason,
    ).toBe('the installed version is unknown')
  })
})

const occ = (o: Partial<FixOccurrence>): FixOccurrence => ({
  issueId: '1',
  cve: 'CVE-2021-23337',
  source: 'OX Security',
  targetKey: 'repo:1',
  packageKey: 'pkg:npm/lodash',
  packagePurl: 'pkg:npm/lodash@4.17.15',
  packageName: 'lodash',
  ecosystem: 'npm',
  installedVersion: '4.17.15',
  manifestPath: 'package.json',
  fixedVersions: ['4.17.21'],
  affectedRanges: null,
  direct: true,
  ...o,
})

describe('a plan per (target, package, manifest) and its strategy', () => {
  it.each([
    ['npm, direct', 'npm', 'services/api/package-lock.json', true, 'direct', 'services/api/package.json'],
    ['npm, transitive', 'npm', 'package.json', false, 'override', 'package.json'],
    ['Maven, transitive', 'maven', 'pom.xml', false, 'override', 'pom.xml'],
    ['pip, transitive', 'pypi', 'requirements-dev.txt', false, 'override', 'requirements-dev.txt'],
    ['pip, direct', 'pypi', 'requirements.txt', true, 'direct', 'requirements.txt'],
    ['yarn: by hand', 'npm', 'web/yarn.lock', true, 'manual', 'web/yarn.lock'],
    ['Gradle: by hand', 'maven', 'build.gradle', false, 'manual', 'build.gradle'],
  ] as const)('%s → %s', (_n, ecosystem, manifestPath, direct, strategy, path) => {
    const versions: Record<string, [string, string]> = {
      npm: ['4.17.15', '4.17.21'],
      maven: ['2.9.10', '2.9.10.4'],
      pypi: ['2.31.0', '2.32.0'],
    }
    const [installed, fixed] = versions[ecosystem]!
    const [g] = groupForPlans([
      occ({ ecosystem, manifestPath, direct, installedVersion: installed, fixedVersions: [fixed] }),
    ])
    const p = planPackageFix(g!.occurrences, g!.manifest, null)
    expect(p.strategy).toBe(strategy)
    expect(p.manifest?.path).toBe(path)
    expect(p.fixVersion).toBe(fixed)
    expect(p.issueIds).toEqual(['1'])
    if (strategy === 'manual') expect(p.command).toBeTruthy()
    else expect(p.command).toBeNull()
  })

  it('a transitive npm dependency is overridden, and the explanation says through what', () => {
    const p = planPackageFix([occ({ direct: false })], { path: 'package.json', kind: 'package.json' }, null)
    expect(p.strategy).toBe('override')
    expect(p.explanation).toContain('npm `overrides`')
  })

  it('without a manifest the plan is manual and names the command', () => {
    const [g] = groupForPlans([occ({ manifestPath: null, direct: false })])
    const p = planPackageFix(g!.occurrences, g!.manifest, null)
    expect(p.strategy).toBe('manual')
    expect(p.command).toBe('npm pkg set overrides.lodash=4.17.21 && npm install')
  })

  it('groups by manifest: two package.json files of a monorepo are two plans; a source without a manifest joins both', () => {
    const groups = groupForPlans([
      occ({ manifestPath: 'api/package.json', issueId: '1' }),
      occ({ manifestPath: 'web/package-lock.json', issueId: '1' }),
      occ({ manifestPath: null, source: 'Endor Labs', issueId: '1' }),
    ])
    expect(groups.map((g) => [g.manifest?.path, g.occurrences.length])).toEqual([
      ['api/package.json', 2],
      ['web/package.json', 2],
    ])
  })
})
